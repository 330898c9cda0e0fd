"""The PII scrubber that turns a real conversation into an anonymised cabin case.

`Scrubber(known=...)` replaces, in every text it is given, the personal data of the ticket (the
buyer's nick, name and address as the ticket holds them, staff names: the `known` values) and every
pattern below, by a placeholder that is the same for the same value throughout the case: the
same phone number written `138 1234 5678` or `13812345678` becomes `[PHONE-1]` in every line.

Patterns: mainland mobile numbers (with +86 and separators), landlines (area code and number,
with an extension), virtual numbers (a mobile or 400/95 number with an extension), ID-card numbers,
e-mail addresses, waybill numbers (carrier prefix and digits, or long digit runs after 运单/快递单/
waybill), order numbers (after 订单/order, and the ticket's own), honorific forms of names
(王先生, 李女士, Mr. Smith), and addresses (province, city, district, road and building numbers).

`scrub(text)` returns a `Scrubbed` with the new text and each replacement's span in the original
and in the result, for the preview that highlights them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Kinds and their placeholder stems (language-neutral: the case reads the same in Chinese and English).
PHONE, NAME, ADDRESS, ORDER, WAYBILL, IDCARD, EMAIL, BUYER, STAFF = (
    "PHONE", "NAME", "ADDRESS", "ORDER", "WAYBILL", "ID", "EMAIL", "BUYER", "STAFF")

# The hundred most common family names (for 王先生-style honorifics).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安"
    "齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
    "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
ADDRESS_LEADS = ("收货地址", "送货地址", "家庭地址", "详细地址", "地址是", "地址", "住址", "住在", "送到", "寄到", "我家在", "家住")
HONORIFICS = "先生|女士|小姐|太太|阿姨|大爷|大哥|大姐|师傅|老师|总|经理|同学"
_CN = r"\u4e00-\u9fa5"

_PATTERNS: list[tuple[str, re.Pattern]] = [
    (EMAIL, re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    # 18-digit ID card (last digit may be X), and the old 15-digit one (after 身份证).
    (IDCARD, re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
                        r"[0-9Xx](?![0-9A-Za-z])")),
    (IDCARD, re.compile(r"(?<=身份证)(?:号码?|号)?[:：\s]*\d{15}(?!\d)")),
    # Waybills: a carrier prefix and 10-15 digits.
    (WAYBILL, re.compile(r"(?<![A-Za-z0-9])(?:SF|YT|JT|JD|JDV|YD|ZT|ZTO|STO|EMS|DPK|DB|KYE|YZ|TT)\d{10,15}"
                         r"(?![0-9])")),
    (WAYBILL, re.compile(r"(?:(?<=运单号)|(?<=运单)|(?<=快递单号)|(?<=[^订]单号)|(?<=^单号)|(?<=waybill)|(?<=waybill no\.)|"
                         r"(?<=tracking number)|(?<=tracking no\.))[:：\s#]*[A-Za-z]{0,4}\d{9,20}(?!\d)",
                         re.IGNORECASE)),
    # Virtual numbers: a masked marketplace number with an extension (17012345678-1234, 400-123-4567 转 567).
    (PHONE, re.compile(r"(?<!\d)(?:(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}|400[-\s]?\d{3}[-\s]?\d{4}|"
                       r"95\d{3,4})\s*(?:转|-|#|ext\.?\s*|，分机|分机)\s*\d{3,5}(?!\d)", re.IGNORECASE)),
    # Mainland mobile numbers.
    (PHONE, re.compile(r"(?<![\d])(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")),
    # Landlines: area code (0 + 2-3 digits) and a 7-8 digit number, optional extension.
    (PHONE, re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[-\s]?\d{3,4}[-\s]?\d{4}"
                       r"(?:\s*(?:转|-|ext\.?\s*)\d{1,5})?(?!\d)", re.IGNORECASE)),
    (PHONE, re.compile(r"(?<!\d)400[-\s]?\d{3}[-\s]?\d{4}(?!\d)")),
    # Order numbers: after 订单 / order, or the marketplace's long digit runs.
    (ORDER, re.compile(r"(?:(?<=订单号)|(?<=订单)|(?<=order no\.)|(?<=order number)|(?<=order)|(?<=单号))"
                       r"[:：\s#]*[A-Za-z]{0,4}-?\d{6,22}(?!\d)", re.IGNORECASE)),
    (ORDER, re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{1,4}-?)?\d{12,22}(?!\d)")),
    (ORDER, re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{10}(?!\d)")),
    # Addresses: (province)(city)(district) + road/street + number (+ building/unit/room), or a
    # residential compound with building numbers.
    (ADDRESS, re.compile(
        rf"(?:[{_CN}]{{2,8}}?(?:省|自治区))?(?:[{_CN}]{{2,8}}?市)?(?:[{_CN}]{{1,8}}?(?:区|县|镇|乡))?"
        rf"[{_CN}A-Za-z0-9]{{1,12}}?(?:路|街|大道|大街|巷|胡同|道)\s*\d{{1,5}}\s*(?:号|弄)"
        rf"(?:\s*[{_CN}A-Za-z0-9]{{0,12}}?\d{{1,5}}\s*(?:号楼|栋|幢|单元|室|楼|层|号|弄))*(?:\s*-?\d{{2,5}}(?![\d号]))?")),
    (ADDRESS, re.compile(
        rf"(?:[{_CN}]{{2,8}}?(?:省|自治区))?(?:[{_CN}]{{2,8}}?市)?(?:[{_CN}]{{1,8}}?(?:区|县))?"
        rf"[{_CN}]{{2,10}}(?:小区|花园|公寓|家园|大厦|苑|新村|广场|园区|园|中心|村)\s*(?:[A-Za-z0-9]{{1,5}}\s*(?:号楼|栋|幢|单元|室|楼|层|号|座|期|区)"
        rf"\s*-?\s*)+(?:\d{{1,5}})?")),
    (ADDRESS, re.compile(
        r"(?:(?:Room|Rm\.?|Flat|Apt\.?|Unit)\s*\d+[A-Za-z]?,?\s*)?(?:(?:Building|Bldg\.?|Block)\s*\d+,?\s*)?"
        r"\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Road|Rd\.?|Street|St\.?|Avenue|Ave\.?|Lane|Ln\.?|Boulevard|Blvd\.?)"
        r"(?:,\s*(?:[A-Z][a-z]+\s+)?(?:District|City|Province))*")),
    # Honorifics: 王先生, 李女士, 张小姐, and the English Mr./Ms./Mrs. + name.
    (NAME, re.compile(rf"[{SURNAMES}](?:{HONORIFICS})")),
    (NAME, re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?")),
]


def _normal(kind: str, value: str) -> str:
    """The identity of a value for consistent placeholders (a phone's digits, a name's letters)."""
    if kind in (PHONE, ORDER, WAYBILL, IDCARD):
        digits = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        if kind == PHONE and digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        return digits
    return re.sub(r"\s+", "", value).lower()


@dataclass
class Replacement:
    start: int  # in the original text
    end: int
    original: str
    placeholder: str
    kind: str
    new_start: int = 0  # in the scrubbed text
    new_end: int = 0


@dataclass
class Scrubbed:
    original: str
    text: str
    replacements: list[Replacement] = field(default_factory=list)


class Scrubber:
    """Scrubs many texts with one placeholder table. `known` is a list of `(kind, value)`: the
    ticket's own buyer nick, name, phone, address, order number, and staff names."""

    def __init__(self, known=()):
        self.table: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}
        literals = [(kind, value.strip()) for kind, value in known if value and len(value.strip()) >= 2]
        # Longest first, so that a full address wins over the street it contains.
        literals.sort(key=lambda item: -len(item[1]))
        self.known = [(kind, value, re.compile(re.escape(value), re.IGNORECASE)) for kind, value in literals]

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, _normal(kind, value))
        if key not in self.table:
            if kind == BUYER:
                self.table[key] = "[BUYER]"
            else:
                self.counts[kind] = self.counts.get(kind, 0) + 1
                self.table[key] = f"[{kind}-{self.counts[kind]}]"
        return self.table[key]

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        taken = [False] * len(text)
        spans = []

        def claim(start, end, kind):
            if start >= end or any(taken[start:end]):
                return
            for i in range(start, end):
                taken[i] = True
            spans.append((start, end, kind))

        for kind, _value, pattern in self.known:
            for match in pattern.finditer(text):
                claim(match.start(), match.end(), kind)
        for kind, pattern in _PATTERNS:
            for match in pattern.finditer(text):
                start, end = match.start(), match.end()
                # Leading separators of a "单号：" style match stay in the text.
                while start < end and text[start] in " :：#\t":
                    start += 1
                if kind == ADDRESS:  # "地址：" / "收货地址" introduce the address; they stay
                    for lead in ADDRESS_LEADS:
                        if text.startswith(lead, start):
                            start += len(lead)
                            while start < end and text[start] in " :：":
                                start += 1
                            break
                claim(start, end, kind)
        return sorted(spans)

    def scrub(self, text: str) -> Scrubbed:
        text = text or ""
        out, replacements, cursor, length = [], [], 0, 0
        for start, end, kind in self._spans(text):
            out.append(text[cursor:start])
            length += start - cursor
            original = text[start:end]
            placeholder = self.placeholder(kind, original)
            replacements.append(Replacement(start, end, original, placeholder, kind, length, length + len(placeholder)))
            out.append(placeholder)
            length += len(placeholder)
            cursor = end
        out.append(text[cursor:])
        return Scrubbed(text, "".join(out), replacements)


def ticket_scrubber(ticket, staff_names=()) -> Scrubber:
    """A scrubber primed with what the ticket holds about its buyer and the staff who worked it."""
    known = [(BUYER, ticket.buyer_nick), (PHONE, ticket.customer_phone), (ADDRESS, ticket.customer_address),
             (ORDER, ticket.order_no)]
    known += [(STAFF, name) for name in staff_names]
    return Scrubber(known)
