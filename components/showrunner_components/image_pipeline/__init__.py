"""ImagePipeline: ECR repositories and the Docker builds of a list of images, handed on by digest.

The pure builders (`builds`, `dockerfile`) import without Pulumi; the component and its Args load
on first use.
"""

__all__ = ["ImagePipeline", "ImagePipelineArgs", "PipelineImage"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.image_pipeline import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
