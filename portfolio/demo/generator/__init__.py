"""The generated pilots of the demo, written in bulk.

They are made up in memory and written with `bulk_create`, a chunk of pilots at a time,
so 10,000 pilots load in well under a minute and the number of queries grows with the
number of chunks, not of pilots.

- `stories`: what can happen to a pilot (its story) and how often; the demo's tuning.
- `pilots`: the plan of stories, and each pilot drafted with its people and dates.
- `history`, `charter`, `evidence`: the parts a pilot carries, one module each.
- `drafts`: what those modules share.
"""

from portfolio.demo.generator.drafts import Generation
from portfolio.demo.generator.pilots import pilots_generate

__all__ = ["Generation", "pilots_generate"]
