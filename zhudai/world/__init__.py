"""The synthetic lending world: people with latent traits, and everything those traits cause.

``generate_world`` writes the observable tables of ``docs/world-tables.md`` and the ground
truth under ``DIR/truth/``; ``credit_labels`` derives the credit label from repayments.
"""

from zhudai.world.generator import default_world_dir, generate_world, observation_date
from zhudai.world.labels import credit_labels
from zhudai.world.params import WorldParams

__all__ = [
    "WorldParams",
    "credit_labels",
    "default_world_dir",
    "generate_world",
    "observation_date",
]
