"""Real administrative divisions of Shizhong District (市中区), Jinan, Shandong (code 370103).

Demo data for Gridlight. Every name below is real: nothing was invented to reach the count.

Sources:
- The National Bureau of Statistics' 2023 statistical division and urban-rural codes
  (统计用区划代码和城乡划分代码, cut-off 2023-06-30). Street codes and the community/village
  register come from it, as republished in an open-source administrative-division data package.
- Open-source region tables (SQL seeds and JSON files) in public code repositories, which
  list the same 17 streets with the same codes.
- The Chinese Wikipedia article on the district, which lists its 17 streets.
- An older address list in a public repository, dating from before the towns became
  streets, with some of the same communities and villages under their former towns.

The register lists 216 community residents' committees and village committees. The district
reports 116 community party-mass service centres, so this module keeps 116 names:
- all of them for the 11 urban streets (大观园 to 舜耕);
- a selection for the 6 suburban streets.
Names are shortened from the register's committee names: 「xx社区居民委员会」 becomes 「xx社区」 and
「xx村村民委员会」 becomes 「xx村」. Within each street, names follow the register's code order.
"""

STREETS: list[tuple[str, str]] = [
    ("370103002", "大观园街道"),
    ("370103003", "杆石桥街道"),
    ("370103004", "四里村街道"),
    ("370103006", "魏家庄街道"),
    ("370103008", "二七街道"),
    ("370103009", "七里山街道"),
    ("370103010", "六里山街道"),
    ("370103012", "舜玉路街道"),
    ("370103014", "泺源街道"),
    ("370103015", "王官庄街道"),
    ("370103016", "舜耕街道"),
    ("370103017", "白马山街道"),
    ("370103018", "七贤街道"),
    ("370103019", "十六里河街道"),
    ("370103020", "兴隆街道"),
    ("370103021", "党家街道"),
    ("370103022", "陡沟街道"),
]
"""(9-digit statistical code, street name) for the 17 streets, in official code order."""

COMMUNITIES: dict[str, list[str]] = {
    "大观园街道": [
        "纬一路社区",
        "睦和苑社区",
        "纬五路社区",
        "万紫巷社区",
        "经二路社区",
    ],
    "杆石桥街道": [
        "春元里社区",
        "聚善街社区",
        "启明里社区",
        "乐山社区",  # registered as 乐山小区社区; 乐山社区 is its common short name
        "七一小区社区",
        "德胜街社区",
        "自由大街社区",
        "新市区社区",
    ],
    "四里村街道": [
        "建设路社区",
        "小梁庄社区",
        "信义庄社区",
        "英雄山社区",
        "玉函路社区",
    ],
    "魏家庄街道": [
        "麟祥街社区",
        "永庆街社区",
        "魏家庄社区",
        "馆驿街社区",
    ],
    "二七街道": [
        "铁路第一社区",
        "铁路第二社区",
        "建南社区",
        "鸿园社区",
        "梁南社区",
        "梁北社区",
        "陈庄社区",
        "建新社区",
    ],
    "七里山街道": [
        "七东社区",
        "七西社区",
        "郎南社区",
        "郎北社区",
        "蓝天社区",
        "明珠社区",
        "二七南路社区",
        "卧龙社区",
        "海珀社区",
        "泉景社区",
    ],
    "六里山街道": [
        "六里山路社区",
        "六里山南路社区",
        "七里山路社区",
        "八里洼社区",
        "玉函北区社区",
        "玉函南区社区",
        "英西南路社区",
        "铁路玉函社区",
        "山景社区",
    ],
    "舜玉路街道": [
        "舜新社区",
        "舜东社区",
        "舜园社区",
        "舜中社区",
        "舜岭社区",
        "舜函社区",
        "舜玉社区",
        "舜绣社区",
        "伟东新都第一社区",
    ],
    "泺源街道": [
        "饮虎池街社区",
        "永长街社区",
        "青年西路社区",
        "科技街社区",
        "普利街社区",
    ],
    "王官庄街道": [
        "四区第一社区",
        "四区第二社区",
        "青龙山社区",
        "八区社区",
        "九区社区",
        "十区社区",
        "英华苑社区",
        "映翠苑社区",
        "西十里河社区",
        "诚品苑社区",
        "王官庄社区",
    ],
    "舜耕街道": [
        "舜航社区",
        "舜雅社区",
        "舜华社区",
        "舜世社区",
        "舜德社区",
        "舜和社区",
    ],
    "白马山街道": [
        "东红庙社区",
        "西红庙社区",
        "南红庙社区",
        "尹家堂社区",
        "前魏华庄社区",
        "后魏华庄社区",
    ],
    "七贤街道": [
        "井家沟社区",
        "七贤庄社区",
        "双龙庄社区",
        "九曲庄社区",
        "德贤社区",
        "鲁贤社区",
    ],
    "十六里河街道": [
        "兴济河社区",
        "南苑社区",
        "北苑社区",
        "望岳社区",
        "东十六里河村",
        "西十六里河村",
        "分水岭村",
    ],
    "兴隆街道": [
        "兴华社区",
        "兴润社区",
        "兴隆山庄社区",
        "兴隆一村",
        "搬倒井村",
    ],
    "党家街道": [
        "丘山社区",
        "党家庄东村",
        "党家庄西村",
        "刘家林村",
        "枣林村",
        "东渴马村",
    ],
    "陡沟街道": [
        "融汇城社区",
        "明成社区",
        "陡沟村",
        "双庙屯村",
        "小庄村",  # under 党家庄镇 before 陡沟街道 was split off
        "殷家林村",
    ],
}
"""Street name -> real community (社区) and village (村) names from the statistical register."""

COMMUNITIES_FILLER: dict[str, list[str]] = {}
"""Street name -> invented names added to reach the total. Empty: every name is real."""

_TOTAL = sum(len(COMMUNITIES[s]) + len(COMMUNITIES_FILLER.get(s, [])) for _, s in STREETS)
_ALL_NAMES = [n for names in (*COMMUNITIES.values(), *COMMUNITIES_FILLER.values()) for n in names]

assert len(STREETS) == 17, len(STREETS)
assert set(COMMUNITIES) == {s for _, s in STREETS}
assert _TOTAL == 116, _TOTAL
assert len(set(_ALL_NAMES)) == len(_ALL_NAMES), "duplicate community/village name"
