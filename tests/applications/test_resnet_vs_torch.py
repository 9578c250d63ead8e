"""ResNet18 computes what torchvision's resnet18 computes, given the same weights.

The PyTorch network is written out here layer for layer as torchvision defines it
(BasicBlock: 3x3 conv with the stride, BN, ReLU, 3x3 conv, BN, 1x1 conv + BN downsample,
add, ReLU; stem 7x7/2 conv with padding 3, BN, ReLU, 3x3/2 max pool with padding 1), so the
test needs only torch, not torchvision.
"""

import numpy as np
import pytest

from deepgrad import applications as apps

torch = pytest.importorskip("torch", reason="PyTorch is the reference; pip install '.[test]'")
nn = torch.nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + identity)


class TorchResNet18(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin, stages = 64, []
        for i, cout in enumerate((64, 128, 256, 512)):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3)))


def _copy_conv(layer, conv):
    layer.set_weights([conv.weight.detach().numpy().transpose(2, 3, 1, 0)])


def _copy_bn(layer, bn, rng):
    with torch.no_grad():  # non-trivial statistics, so that inference mode is really tested
        bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, bn.num_features)))
        bn.bias.copy_(torch.from_numpy(rng.normal(0, 0.1, bn.num_features)))
        bn.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.1, bn.num_features)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, bn.num_features)))
    layer.set_weights([t.detach().numpy() for t in
                       (bn.weight, bn.bias, bn.running_mean, bn.running_var)])


def test_resnet18_matches_torchvision_layout():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    reference = TorchResNet18(classes=10).eval()
    model = apps.ResNet18(weights=None, input_shape=(64, 64, 3), classes=10,
                          classifier_activation=None)
    _copy_conv(model.get_layer("conv1_conv"), reference.conv1)
    _copy_bn(model.get_layer("conv1_bn"), reference.bn1, rng)
    for stage, torch_stage in enumerate(
        (reference.layer1, reference.layer2, reference.layer3, reference.layer4), start=2
    ):
        for b, block in enumerate(torch_stage, start=1):
            prefix = f"conv{stage}_block{b}"
            for i, (conv, bn) in enumerate(((block.conv1, block.bn1), (block.conv2, block.bn2)),
                                           start=1):
                _copy_conv(model.get_layer(f"{prefix}_{i}_conv"), conv)
                _copy_bn(model.get_layer(f"{prefix}_{i}_bn"), bn, rng)
            if block.downsample is not None:
                _copy_conv(model.get_layer(f"{prefix}_0_conv"), block.downsample[0])
                _copy_bn(model.get_layer(f"{prefix}_0_bn"), block.downsample[1], rng)
    model.get_layer("predictions").set_weights(
        [reference.fc.weight.detach().numpy().T, reference.fc.bias.detach().numpy()]
    )
    x = rng.normal(size=(2, 64, 64, 3)).astype("float32")
    with torch.no_grad():
        expected = reference(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-3, atol=1e-4)
