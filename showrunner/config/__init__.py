"""The typed, validated configuration of one stack: what Chef's attribute hashes were in 2015.

- `yamlfile`: read YAML as the Pulumi CLI would, refusing what it would read otherwise;
- `stackfile`: read `Pulumi.yaml` and a stack file, merge them the way the Pulumi CLI does;
- `values`: the value types (ports, cron schedules, ARNs…), each a pure check;
- `models`: one model per section and entry, strict, every field's docstring its reference entry;
- `problems`: how a problem line reads (one line, keys quoted when needed) and `ConfigError`;
- `messages`: paths, and every pydantic error in our words;
- `checks`: the rules that span entries, one `ensure_*` function each;
- `loading`: `load_settings`, which runs all of them and reports every problem at once;
- `runtime`: `stack_settings`, the same inside a running Pulumi program;
- `reference`: README.md's configuration reference, rendered from the models.
"""

from showrunner.config.problems import ConfigError

__all__ = ["ConfigError", "Settings", "load_settings"]


def __getattr__(name: str):
    # Lazily, so that reading a stack file (`stackfile`, `yamlfile`) imports no pydantic.
    if name == "load_settings":
        from showrunner.config.loading import load_settings

        return load_settings
    if name == "Settings":
        from showrunner.config.models import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
