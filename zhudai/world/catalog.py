"""Reference data of the world: channels, products, funders, cities, occupations, devices.

Each list is a small table of constants with the causal effect it carries (risk shift, cost,
income), so the generator's assumptions can be read in one place.
"""

from __future__ import annotations

import numpy as np
import polars as pl

# --- channels: (name, kind, cost per application CNY, risk shift in log-odds, fraud pull,
#     product mix over PRODUCTS) -------------------------------------------------------------
CHANNELS: tuple[tuple[str, str, float, float, float, tuple[float, float, float, float]], ...] = (
    ("Own app (app stores)", "app_store", 45.0, 0.0, 1.0, (0.05, 0.85, 0.0, 0.10)),
    ("Air-ticket OTA partner", "ota_partner", 30.0, -0.6, 0.3, (0.9, 0.1, 0.0, 0.0)),
    ("E-commerce partner", "ecommerce_partner", 35.0, -0.2, 0.6, (0.1, 0.8, 0.0, 0.1)),
    ("Supply-chain platform", "supply_chain_platform", 120.0, -0.8, 0.1, (0.0, 0.05, 0.95, 0.0)),
    ("Bank co-brand", "bank_cobrand", 60.0, -0.4, 0.3, (0.0, 0.1, 0.0, 0.9)),
    ("Social media ads", "social_ads", 25.0, 0.45, 2.5, (0.0, 0.9, 0.0, 0.1)),
    ("Offline agents", "offline_agent", 80.0, 0.6, 3.0, (0.0, 1.0, 0.0, 0.0)),
)
# Share of legitimate applicants arriving through each channel.
CHANNEL_SHARE = np.array([0.30, 0.14, 0.18, 0.06, 0.10, 0.15, 0.07])

# --- products: (code, name, min, max, terms, base APR, risk shift, repayment method) --------
PRODUCTS: tuple[tuple[str, str, float, float, tuple[int, ...], float, float, str], ...] = (
    (
        "air_ticket_installment",
        "Air-ticket installment",
        500.0,
        8000.0,
        (3, 6, 12),
        0.12,
        -0.5,
        "equal_installment",
    ),
    (
        "cash_installment",
        "Cash installment",
        1000.0,
        50000.0,
        (3, 6, 9, 12, 24),
        0.21,
        0.3,
        "equal_installment",
    ),
    (
        "supply_chain",
        "Supply-chain finance",
        20000.0,
        500000.0,
        (3, 6, 12),
        0.09,
        -0.9,
        "interest_first",
    ),
    (
        "cobrand_card",
        "Co-branded card installment",
        2000.0,
        30000.0,
        (6, 12, 24),
        0.18,
        0.0,
        "equal_principal",
    ),
)
PRODUCT_CODES = tuple(p[0] for p in PRODUCTS)

# --- funders: (name, min score, max APR, monthly quota CNY, cost of funds) ------------------
FUNDERS: tuple[tuple[str, int, float, float, float], ...] = (
    ("Jinhai Joint-Stock Bank", 640, 0.18, 400_000_000.0, 0.035),
    ("Dongfang City Commercial Bank", 600, 0.24, 250_000_000.0, 0.045),
    ("Qianjiang Rural Commercial Bank", 560, 0.24, 150_000_000.0, 0.050),
    ("Xinhe Consumer Finance", 580, 0.24, 300_000_000.0, 0.055),
    ("Baoli Trust", 520, 0.24, 100_000_000.0, 0.070),
)

# --- cities: (province, city, admin code of a district, lat, lon, income shift, population w)
CITIES: tuple[tuple[str, str, int, float, float, float, float], ...] = (
    ("北京", "北京", 110105, 39.921, 116.443, 0.35, 6.0),
    ("上海", "上海", 310115, 31.221, 121.544, 0.35, 6.0),
    ("广东", "广州", 440106, 23.125, 113.361, 0.25, 5.0),
    ("广东", "深圳", 440305, 22.533, 113.930, 0.35, 5.0),
    ("广东", "东莞", 441900, 23.021, 113.752, 0.05, 3.0),
    ("浙江", "杭州", 330106, 30.260, 120.130, 0.25, 4.0),
    ("江苏", "南京", 320102, 32.049, 118.797, 0.2, 3.5),
    ("江苏", "苏州", 320505, 31.325, 120.564, 0.2, 3.5),
    ("四川", "成都", 510107, 30.642, 104.043, 0.05, 4.5),
    ("重庆", "重庆", 500103, 29.553, 106.572, 0.0, 4.5),
    ("湖北", "武汉", 420106, 30.554, 114.316, 0.05, 4.0),
    ("陕西", "西安", 610113, 34.223, 108.948, 0.0, 3.5),
    ("山东", "济南", 370102, 36.663, 117.063, 0.0, 3.0),
    ("山东", "青岛", 370202, 36.066, 120.383, 0.05, 3.0),
    ("河南", "郑州", 410105, 34.800, 113.665, -0.1, 4.0),
    ("湖南", "长沙", 430104, 28.235, 112.931, 0.0, 3.5),
    ("福建", "厦门", 350203, 24.445, 118.082, 0.15, 2.0),
    ("福建", "福州", 350102, 26.082, 119.297, 0.05, 2.5),
    ("天津", "天津", 120101, 39.117, 117.195, 0.1, 3.0),
    ("辽宁", "沈阳", 210102, 41.789, 123.418, -0.1, 2.5),
    ("黑龙江", "哈尔滨", 230102, 45.772, 126.617, -0.2, 2.0),
    ("安徽", "合肥", 340104, 31.857, 117.250, 0.0, 3.0),
    ("江西", "南昌", 360102, 28.682, 115.919, -0.15, 2.5),
    ("广西", "南宁", 450103, 22.816, 108.366, -0.2, 2.5),
    ("云南", "昆明", 530102, 25.049, 102.704, -0.15, 2.5),
    ("贵州", "贵阳", 520102, 26.578, 106.713, -0.2, 2.0),
    ("河北", "石家庄", 130102, 38.047, 114.522, -0.2, 2.5),
    ("山西", "太原", 140105, 37.818, 112.550, -0.2, 2.0),
    ("甘肃", "兰州", 620102, 36.061, 103.834, -0.3, 1.5),
    ("海南", "海口", 460106, 20.019, 110.349, -0.1, 1.0),
)

# --- occupations: (name, income shift, stability shift) --------------------------------------
OCCUPATIONS: tuple[tuple[str, float, float], ...] = (
    ("civil_servant", 0.2, 1.6),
    ("teacher", 0.1, 1.3),
    ("office_worker", 0.15, 0.7),
    ("engineer", 0.45, 0.8),
    ("factory_worker", -0.2, 0.2),
    ("sales", 0.0, -0.4),
    ("self_employed", 0.2, -0.7),
    ("driver", -0.1, -0.3),
    ("delivery_rider", -0.15, -0.8),
    ("freelancer", -0.05, -1.0),
    ("student", -0.9, -0.5),
)
OCCUPATION_SHARE = np.array([0.05, 0.06, 0.2, 0.1, 0.14, 0.1, 0.09, 0.07, 0.08, 0.06, 0.05])

# --- device models: (model, price tier 0 cheap .. 3 flagship) -------------------------------
DEVICE_MODELS: tuple[tuple[str, int], ...] = (
    ("iPhone 15 Pro", 3),
    ("iPhone 14", 2),
    ("iPhone 12", 1),
    ("Huawei Mate 60", 3),
    ("Huawei nova 11", 2),
    ("Xiaomi 14", 2),
    ("Redmi Note 12", 0),
    ("OPPO Reno 10", 1),
    ("OPPO A58", 0),
    ("vivo X100", 2),
    ("vivo Y36", 0),
    ("Honor X50", 1),
    ("realme GT Neo", 1),
)
EMULATOR_MODELS: tuple[str, ...] = (
    "Android SDK built for x86",
    "MuMu Player",
    "LDPlayer",
    "BlueStacks",
)

# --- e-commerce categories: (name, median amount CNY, impulsivity pull, stability pull) -----
ORDER_CATEGORIES: tuple[tuple[str, float, float, float], ...] = (
    ("groceries", 60.0, -0.2, 0.5),
    ("home", 150.0, -0.3, 0.6),
    ("baby", 120.0, -0.2, 0.6),
    ("books", 50.0, -0.4, 0.4),
    ("apparel", 180.0, 0.2, 0.0),
    ("beauty", 130.0, 0.3, 0.0),
    ("digital", 900.0, 0.3, 0.0),
    ("luxury", 2500.0, 0.7, -0.2),
    ("game_topup", 40.0, 0.9, -0.5),
    ("virtual_goods", 25.0, 0.8, -0.5),
    ("travel", 800.0, 0.0, 0.3),
)

# --- card merchant categories: (name, median amount, over-indebtedness pull, impulsivity pull)
MCC_CATEGORIES: tuple[tuple[str, float, float, float], ...] = (
    ("supermarket", 90.0, 0.0, -0.2),
    ("restaurant", 70.0, 0.0, 0.1),
    ("fuel", 300.0, -0.2, -0.2),
    ("transport", 25.0, 0.0, 0.0),
    ("utilities", 200.0, -0.2, -0.3),
    ("online_shopping", 150.0, 0.1, 0.3),
    ("entertainment", 180.0, 0.1, 0.5),
    ("gaming", 60.0, 0.3, 0.7),
    ("jewelry", 1500.0, 0.0, 0.5),
    ("cash", 800.0, 0.6, 0.1),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅斌宇浩凯婷雪琳晨阳欣怡子涵博文佳悦思雨嘉俊一诺梓轩"

CARD_BINS = np.array([622202, 621700, 622848, 621661, 622588, 622262, 621483, 623668])
PHONE_PREFIXES = np.array(
    [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159]
    + [166, 173, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199]
)


def channels_table() -> pl.DataFrame:
    """The ``channels`` dimension."""
    return pl.DataFrame(
        {
            "channel_id": np.arange(1, len(CHANNELS) + 1, dtype=np.int64),
            "name": [c[0] for c in CHANNELS],
            "kind": [c[1] for c in CHANNELS],
            "cost_per_application": [c[2] for c in CHANNELS],
        }
    )


def products_table() -> pl.DataFrame:
    """The ``products`` dimension."""
    return pl.DataFrame(
        {
            "product_code": list(PRODUCT_CODES),
            "name": [p[1] for p in PRODUCTS],
            "min_amount": [p[2] for p in PRODUCTS],
            "max_amount": [p[3] for p in PRODUCTS],
            "terms": [list(p[4]) for p in PRODUCTS],
            "base_apr": [p[5] for p in PRODUCTS],
        },
        schema_overrides={"terms": pl.List(pl.Int64)},
    )


def funders_table() -> pl.DataFrame:
    """The ``funders`` dimension."""
    return pl.DataFrame(
        {
            "funder_id": np.arange(1, len(FUNDERS) + 1, dtype=np.int64),
            "name": [f[0] for f in FUNDERS],
            "min_score": np.array([f[1] for f in FUNDERS], dtype=np.int64),
            "max_apr": [f[2] for f in FUNDERS],
            "monthly_quota": [f[3] for f in FUNDERS],
            "cost_of_funds": [f[4] for f in FUNDERS],
        }
    )
