"""The typed, validated configuration of one stack: what Chef's attribute hashes were in 2015.

- `stackfile`: read `Pulumi.yaml` and a stack file, merge them the way the Pulumi CLI does;
- `values`: the value types (ports, cron schedules, ARNs…), each a pure check;
- `models`: one model per section and entry, strict, every field's docstring its reference entry;
- `messages`: paths, and every pydantic error in our words;
- `checks`: the rules that span entries, one `ensure_*` function each;
- `loading`: `load_settings`, which runs all of them and reports every problem at once;
- `runtime`: `stack_settings`, the same inside a running Pulumi program;
- `reference`: README.md's configuration reference, rendered from the models.
"""

from showrunner.config.loading import load_settings
from showrunner.config.messages import ConfigError
from showrunner.config.models import Settings

__all__ = ["ConfigError", "Settings", "load_settings"]
