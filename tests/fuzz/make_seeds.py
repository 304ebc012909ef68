#!/usr/bin/env python3
"""Writes the valid seeds of the idx, png and json_labels fuzz targets under
tests/fuzz/corpus/<target>/ (committed; rerun after changing one):

    python3 tests/fuzz/make_seeds.py

The npz target's seeds are real files that `simdnet train` wrote (two small
MNIST nets, 784-3-10 with batchnorm, dropout and Adam, 784-3-3-10 plain with
SGD momentum; each as a model and as a training state):

    simdnet train --dataset mnist --train-subset 200 --val-size 100 --hidden 3 \
        --batchnorm --dropout 0.25 --update adam --lr 1e-3 --batch 50 --epochs 2 \
        --threads 1 --seed 1 --save model-bn.npz --save-state state-bn.npz
    simdnet train --dataset mnist --train-subset 200 --val-size 100 --hidden 3,3 \
        --update sgd_momentum --batch 50 --epochs 2 --threads 1 --seed 2 \
        --save model-plain.npz --save-state state-plain.npz

and this script frames the same arrays for the checkpoint target
(npz_entries.h). scripts/fuzz also seeds each target with the malformed
corpus (tests/malformed/), built with the same helpers.
"""
import struct
import zipfile
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "malformed"))
from make_malformed import IMAGES, LABELS, fixed_gzip, idx, png  # noqa: E402


def write(target, name, data):
    os.makedirs(os.path.join(HERE, "corpus", target), exist_ok=True)
    with open(os.path.join(HERE, "corpus", target, name), "wb") as f:
        f.write(data)


images = idx(IMAGES, [3, 4, 4], bytes((5 * i) % 256 for i in range(48)))
labels = idx(LABELS, [6], bytes([0, 9, 3, 1, 7, 2]))
write("idx", "images.idx", images)
write("idx", "images.idx.gz", fixed_gzip(images))
write("idx", "labels.idx", labels)
write("idx", "labels.idx.gz", fixed_gzip(labels))

write("png", "rgb_8x4.png", png(8, 4, 2))
write("png", "rgba_8x4.png", png(8, 4, 6, channels=4))
write("png", "rgb_16x16.png", png(16, 16, 2))

write("json_labels", "labels.json", b"[0, 9, 3, 1, 7]")
write("json_labels", "labels_spaced.json", b" [ 0 ,1,2 , 3,\n4 ]\n")

# The experiment config: the example of experiments/config.h, and one with two
# axes, a full batch, an update budget and a quick profile.
write("config", "update_rules.toml", b'''title = "Update rules on MNIST (CS231n's setup)"
[data]
dataset = "mnist"
train_subset = 4000
[net]
hidden = [100, 100, 100, 100, 100]
init = "weight_scale"
weight_scale = 5e-2
[solver]
learning_rate = 1e-2
batch_size = 100
epochs = 5
[run]
seeds = [1, 2, 3]
target_accuracy = 0.9
[[axis]]
field = "solver.update"
values = ["sgd", "sgd_momentum", "nesterov", "rmsprop", "adam"]
[quick]
solver.epochs = 2
axis_values = [["sgd", "adam"]]
''')
write("config", "batch_grid.toml", b'''title = "Batch size x learning-rate scaling"
description = "Goyal et al. 2017"
[data]
dataset = "cifar10"
val_size = 1000
standardize = true
[net]
hidden = [256]
batchnorm = true
dropout = 0.25
l2 = 1e-4
[solver]
update = "adam"
lr_scaling = "linear"
lr_reference_batch = 128
budget = "updates"
updates = 500
sample_with_replacement = true
train_acc_samples = 0
lr_decay = 0.95
[run]
seeds = [4, 5, 6, 7]
[[axis]]
field = "solver.batch_size"
values = [32, 128, "full"]
[[axis]]
field = "solver.lr_scaling"
values = ["held", "linear"]
[quick]
solver.updates = 50
data.train_subset = 500
axis_values = [[32, "full"], ["linear"]]
''')

# checkpoint: each corpus/npz/*.npz as framed entries (npz_entries.h):
# [name length: 1 byte] [name] [.npy length: 4 bytes little-endian] [.npy].
npz_dir = os.path.join(HERE, "corpus", "npz")
for name in sorted(os.listdir(npz_dir)):
    framed = b""
    with zipfile.ZipFile(os.path.join(npz_dir, name)) as z:
        for entry in z.namelist():
            key = entry[: -len(".npy")].encode()
            data = z.read(entry)
            framed += bytes([len(key)]) + key + struct.pack("<I", len(data)) + data
    write("checkpoint", name.replace(".npz", ".entries"), framed)
