"""ipywidgets front ends over the package: choose, run, watch.

The panels only arrange widgets and call the package; displayed in a headless run (CI)
they render as a widget view and do nothing until a button is pressed.
"""

import io
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
from PIL import Image

from .images import image_files, load_image
from .optimize import StylizeResult, stylize
from .settings import StylizeSettings

__all__ = ["StylizePanel", "png_bytes"]


def png_bytes(image: np.ndarray) -> bytes:
    """An (H, W, 3) image in [0, 1] as PNG bytes, for an ``ipywidgets.Image``."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _image_options(folder):
    return [(p.stem, str(p)) for p in image_files(folder)]


class StylizePanel:
    """Pick a content and a style image from two folders, set the style weight, size, steps
    and optimiser, press Run, and watch the image change every `preview_every` steps while a
    progress bar counts the steps.

    ``panel.result`` holds the last `StylizeResult`; other keyword arguments go to `stylize`.
    """

    def __init__(self, content_dir: str | Path, style_dir: str | Path, size: int = 256, steps: int = 100,
                 style_weight: float = 10.0, preview_every: int = 10, **options: Any):
        self.options = options
        self.preview_every = preview_every
        self.content = widgets.Dropdown(options=_image_options(content_dir), description="content")
        self.style = widgets.Dropdown(options=_image_options(style_dir), description="style")
        self.style_weight = widgets.FloatLogSlider(value=style_weight, base=10, min=-1, max=3, step=0.1,
                                                   description="style weight")
        self.size = widgets.IntSlider(value=size, min=32, max=512, step=32, description="size (px)")
        self.steps = widgets.IntSlider(value=steps, min=10, max=500, step=10, description="steps")
        self.optimizer = widgets.ToggleButtons(options=["lbfgs", "adam"], description="optimiser")
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.status = widgets.Label("press Run")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress")
        # Aligned to the top and scaled as a whole: in an HBox an image would otherwise be
        # stretched to the height of the controls.
        self.preview = widgets.Image(format="png", width=size,
                                     layout=widgets.Layout(align_self="flex-start", object_fit="contain"))
        self.run_button.on_click(lambda _: self.run())
        controls = widgets.VBox([self.content, self.style, self.style_weight, self.size, self.steps, self.optimizer,
                                 self.run_button, self.progress, self.status])
        self.widget = widgets.HBox([controls, self.preview])
        self.result = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _show(self, step, losses, image):
        self.preview.value = png_bytes(image)
        self.progress.value = min(step, self.progress.max)
        self.status.value = f"step {step}: loss {losses['total']:.4g}"

    def run(self) -> StylizeResult | None:
        """Stylise with the current choices, updating the preview as it goes; returns the result."""
        self.run_button.disabled = True
        self.progress.bar_style = ""
        self.progress.max = sum(StylizeSettings(steps=self.steps.value,
                                                levels=self.options.get("levels", StylizeSettings.levels)).step_counts)
        self.progress.value = 0
        try:
            self.preview.value = png_bytes(load_image(self.content.value, max_side=self.size.value))
            self.result = stylize(self.content.value, self.style.value, size=self.size.value, steps=self.steps.value,
                                  style_weight=self.style_weight.value, optimizer=self.optimizer.value,
                                  callback=self._show, callback_every=self.preview_every, progress=False,
                                  **self.options)
            self._show(len(self.result.history), self.result.history[-1], self.result.image)
            self.progress.value, self.progress.bar_style = self.progress.max, "success"  # done, converged or not
            self.status.value += f" (done in {self.result.wall_time:.1f} s{'; ' + self.result.stopped if self.result.stopped else ''})"
        except Exception as e:  # shown in the panel: a button callback has nowhere else to report
            self.status.value = f"error: {e}"
            self.progress.bar_style = "danger"
        finally:
            self.run_button.disabled = False
        return self.result
