"""The plugin's entry point: Pulumi's Python language host runs it to serve these components.

`pulumi package add ./components` (and every later run of a program that added the package) starts
`python components/` in the virtualenv PulumiPlugin.yaml names, with the engine's address as its
argument; `showrunner_components` is imported from this directory, not from an installed copy.
"""

from showrunner_components.provider import main

if __name__ == "__main__":
    main()
