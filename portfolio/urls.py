from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Pilotgate administration"
admin.site.site_title = "Pilotgate"
admin.site.index_title = "Portfolio and gate definitions"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
]
