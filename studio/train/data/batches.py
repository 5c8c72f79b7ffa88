"""Batches for one epoch, in the same order for one process or many (DDP).

The order comes from ``DistributedSampler`` (one replica when not distributed): epoch ``e`` uses
``randperm(n)`` seeded with ``seed + e`` and rank ``r`` takes every ``world``-th index. So the
union of the ranks' ``k``-th batches is exactly the single-process ``k``-th batch of the same
global size, which is what makes a DDP run match a single-process one.
"""
from __future__ import annotations

import torch
from torch.utils.data import DataLoader, DistributedSampler
from torch.utils.data._utils.collate import default_collate


class Batches:
    def __init__(self, dataset, batch_size: int, *, shuffle: bool, seed: int, rank: int = 0,
                 world: int = 1, workers: int = 0, drop_last: bool = False):
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.workers, self.drop_last = workers, drop_last
        self.sampler = DistributedSampler(dataset, num_replicas=world, rank=rank,
                                          shuffle=shuffle, seed=seed, drop_last=drop_last)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.sampler.set_epoch(epoch)
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _index_batches(self):
        order = list(self.sampler)
        stop = len(self) * self.batch_size
        return [order[i:i + self.batch_size] for i in range(0, min(stop, len(order)),
                                                            self.batch_size)]

    def __iter__(self):
        batches = self._index_batches()
        fields = getattr(self.dataset, "fields", None)
        if fields is not None:
            yield from self._gathered(fields, batches)
        elif self.workers:
            yield from DataLoader(self.dataset, batch_sampler=batches,
                                  num_workers=self.workers, persistent_workers=False)
        else:
            for idx in batches:
                yield default_collate([self.dataset[i] for i in idx])

    def _gathered(self, fields: dict, batches: list):
        """Fast path for tensor datasets: one ``index_select`` per field for a chunk of up to
        ``CHUNK_BYTES`` of samples, split into batch views. A step then costs no gather of its
        own: per-batch indexing was ~4 dispatches (20-40 us), 1-3 % of a small network's step."""
        order = torch.tensor([i for idx in batches for i in idx], dtype=torch.int64)
        if not len(order):
            return
        per_sample = sum(v[0].numel() * v.element_size() for v in fields.values()) or 1
        chunk = max(1, CHUNK_BYTES // (per_sample * self.batch_size)) * self.batch_size
        for idx in order.split(chunk):
            # index_select: several times cheaper than v[idx] advanced indexing on the CPU
            parts = {k: v.index_select(0, idx).split(self.batch_size) for k, v in fields.items()}
            for i in range(len(next(iter(parts.values())))):
                yield {k: p[i] for k, p in parts.items()}


CHUNK_BYTES = 16 << 20  # bounded extra memory for the fast path (a CIFAR-10 epoch is 600 MB)
