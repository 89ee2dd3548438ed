"""The calibration suite (`python -m bench.calibrate`, `make calibrate`; issue 19).

Simulates data for every design and size the app accepts as evidence, runs the app's own code
(`adapters`) and named alternatives (`alternatives`: the methods the app used before, and
textbook references) on the same replications, and reports each interval's coverage, the
false-positive rate at no effect and the power at a stated effect (`scenarios`, `engine`).
"""
