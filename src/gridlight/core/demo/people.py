"""Synthetic people for the demo district and the benchmarks: common Chinese surnames and given
names, combined at random. No real person's data is used anywhere."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海波辉鹏宇浩"
    "晨欣怡婷雪梅琳颖佳慧子轩涵梓萱博睿嘉瑞安然泽宁凯峰鑫丹春燕红玲凤莉桂珍淑"
)


def person_name(rng: random.Random) -> str:
    """A synthetic name: a surname and one or two given-name characters."""
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given
