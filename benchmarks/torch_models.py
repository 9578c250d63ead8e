"""PyTorch versions of the Keras application models, for ``benchmarks/models.py --torch``.

The same layers, filters, biases and batch norms as ``keras.applications`` (so the
same parameter counts, counting the batch norms' running statistics as Keras counts its
moving ones), in PyTorch's NCHW modules. Padding: where Keras pads a stride-2 layer
asymmetrically (``'same'`` on even sizes, MobileNetV2's ``correct_pad``), these pad one
pixel on each side, which gives the same output sizes and the same work.

    >>> net = build("MobileNetV2", 1000)
    >>> count(net)
    3538984
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["build", "count"]


def count(net: nn.Module) -> int:
    """Parameters plus the batch norms' running means and variances (Keras's count)."""
    stats = sum(m.running_mean.numel() * 2 for m in net.modules()
                if isinstance(m, nn.BatchNorm2d))
    return sum(p.numel() for p in net.parameters()) + stats


def _bn(channels: int, eps: float = 1e-3) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=eps, momentum=0.01)


def _conv_bn(cin, cout, k, stride=1, groups=1, act=nn.ReLU6, padding=None, eps=1e-3):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2 if padding is None else padding,
                        groups=groups, bias=False), _bn(cout, eps)]
    return layers + ([act()] if act is not None else [])


class _Inverted(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int):
        super().__init__()
        mid = cin * expansion
        expand = _conv_bn(cin, mid, 1) if expansion != 1 else []
        self.body = nn.Sequential(*expand, *_conv_bn(mid, mid, 3, stride, groups=mid),
                                  *_conv_bn(mid, cout, 1, act=None))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenet_v2(classes: int) -> nn.Module:
    layers = _conv_bn(3, 32, 3, 2)
    cin = 32
    for expansion, cout, repeats, stride in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                             (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                             (6, 320, 1, 1)):
        for r in range(repeats):
            layers.append(_Inverted(cin, cout, stride if r == 0 else 1, expansion))
            cin = cout
    layers += _conv_bn(cin, 1280, 1)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(1280, classes))


class _Bottleneck(nn.Module):
    def __init__(self, cin: int, filters: int, stride: int, shortcut: bool):
        super().__init__()
        eps = 1.001e-5
        self.body = nn.Sequential(
            nn.Conv2d(cin, filters, 1, stride), _bn(filters, eps), nn.ReLU(),
            nn.Conv2d(filters, filters, 3, 1, 1), _bn(filters, eps), nn.ReLU(),
            nn.Conv2d(filters, 4 * filters, 1), _bn(4 * filters, eps))
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, 4 * filters, 1, stride),
                                       _bn(4 * filters, eps)) if shortcut else nn.Identity())

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.body(x))


def resnet50(classes: int) -> nn.Module:
    layers = [nn.Conv2d(3, 64, 7, 2, 3), _bn(64, 1.001e-5), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            layers.append(_Bottleneck(cin, filters, stride if b == 0 else 1, b == 0))
            cin = 4 * filters
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(2048, classes))


def vgg16(classes: int) -> nn.Module:
    layers, cin = [], 3
    for filters, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(convs):
            layers += [nn.Conv2d(cin, filters, 3, 1, 1), nn.ReLU()]
            cin = filters
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, classes))


def _sepconv_bn(cin: int, cout: int) -> list:
    return [nn.Conv2d(cin, cin, 3, 1, 1, groups=cin, bias=False),
            nn.Conv2d(cin, cout, 1, bias=False), _bn(cout)]


class _XceptionBlock(nn.Module):
    def __init__(self, cin: int, filters: tuple[int, int], first_relu: bool = True):
        super().__init__()
        self.body = nn.Sequential(*([nn.ReLU()] if first_relu else []),
                                  *_sepconv_bn(cin, filters[0]), nn.ReLU(),
                                  *_sepconv_bn(filters[0], filters[1]),
                                  nn.MaxPool2d(3, 2, 1))
        self.shortcut = nn.Sequential(nn.Conv2d(cin, filters[1], 1, 2, bias=False),
                                      _bn(filters[1]))

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class _MiddleBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(*[m for _ in range(3) for m in [nn.ReLU(),
                                                                  *_sepconv_bn(728, 728)]])

    def forward(self, x):
        return self.body(x) + x


def xception(classes: int) -> nn.Module:
    layers = [*_conv_bn(3, 32, 3, 2, act=nn.ReLU, padding=0),
              *_conv_bn(32, 64, 3, act=nn.ReLU, padding=0),
              _XceptionBlock(64, (128, 128), first_relu=False), _XceptionBlock(128, (256, 256)),
              _XceptionBlock(256, (728, 728)), *[_MiddleBlock() for _ in range(8)],
              _XceptionBlock(728, (728, 1024)),
              *_sepconv_bn(1024, 1536), nn.ReLU(), *_sepconv_bn(1536, 2048), nn.ReLU()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(2048, classes))


BUILDERS = {"MobileNetV2": mobilenet_v2, "ResNet50": resnet50, "VGG16": vgg16,
            "Xception": xception}


def build(name: str, classes: int) -> nn.Module:
    """The PyTorch version of Keras application ``name`` with a ``classes``-way top
    (logits: the loss applies the softmax)."""
    return BUILDERS[name](classes)
