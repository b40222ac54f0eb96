"""Plain numpy implementations of VGG16, AlexNet and LPIPS, independent of Keras,
used as the reference the package is tested against."""

import numpy as np

TORCHVISION_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
TORCHVISION_STD = np.array([0.229, 0.224, 0.225], np.float32)


def conv2d(x, kernel, bias, stride=1, pad=0):
    """Cross-correlation of (H, W, Cin) with an HWIO kernel, zero padding, then + bias."""
    x = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
    kh, kw, cin, cout = kernel.shape
    oh = (x.shape[0] - kh) // stride + 1
    ow = (x.shape[1] - kw) // stride + 1
    out = np.zeros((oh, ow, cout), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[i : i + stride * oh : stride, j : j + stride * ow : stride, :]
            out += patch @ kernel[i, j].astype(np.float64)
    return out + bias


def max_pool(x, size, stride):
    oh = (x.shape[0] - size) // stride + 1
    ow = (x.shape[1] - size) // stride + 1
    windows = [x[i : i + stride * oh : stride, j : j + stride * ow : stride] for i in range(size) for j in range(size)]
    return np.max(windows, axis=0)


def relu(x):
    return np.maximum(x, 0)


def vgg16(image, kernels, biases):
    """{index of conv: ReLU output} for all 13 convs of VGG16 on an (H, W, 3) image in [0, 1]."""
    x = (image - TORCHVISION_MEAN) / TORCHVISION_STD
    out, k = {}, 0
    for block, n in enumerate((2, 2, 3, 3, 3)):
        for _ in range(n):
            x = relu(conv2d(x, kernels[k], biases[k], pad=1))
            out[k] = x
            k += 1
        x = max_pool(x, 2, 2)
    return out


def alexnet(image, kernels, biases):
    """{index of conv: ReLU output} for the 5 convs of torchvision's AlexNet."""
    x = (image - TORCHVISION_MEAN) / TORCHVISION_STD
    spec = ((4, 2), (1, 2), (1, 1), (1, 1), (1, 1))
    out = {}
    for k, (stride, pad) in enumerate(spec):
        x = relu(conv2d(x, kernels[k], biases[k], stride=stride, pad=pad))
        out[k] = x
        if k in (0, 1):
            x = max_pool(x, 3, 2)
    return out


def lpips(x, y, features, heads, layers):
    """LPIPS v0.1 with LPIPS's own input scaling: 2x - 1, then (x - shift) / scale."""
    shift = np.array([-0.030, -0.088, -0.188])
    scale = np.array([0.458, 0.448, 0.450])

    def feats(image):
        # `features` applies the torchvision normalisation; undo it to feed LPIPS's scaling.
        lpips_input = (2 * image - 1 - shift) / scale
        return features(lpips_input * TORCHVISION_STD + TORCHVISION_MEAN)

    fx, fy = feats(x), feats(y)
    total = 0.0
    for head, k in zip(heads, layers):
        nx = fx[k] / (np.sqrt(np.sum(fx[k] ** 2, axis=-1, keepdims=True)) + 1e-10)
        ny = fy[k] / (np.sqrt(np.sum(fy[k] ** 2, axis=-1, keepdims=True)) + 1e-10)
        total += np.mean((nx - ny) ** 2 @ head)
    return total
