"""Tests of the whole system: kills, faults, full disks, hostile input, read-only use."""
