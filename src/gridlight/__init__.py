"""Gridlight (网格信号灯): grassroots-governance and talent-service platform for a city district."""

__version__ = "0.1.0"
