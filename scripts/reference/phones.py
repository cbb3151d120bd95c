#!/usr/bin/env python3
r"""The reference answers for tests/phones.rs: libphonenumber's verdict on a corpus of cells.

    python3 -m venv /tmp/phref && /tmp/phref/bin/pip install -r scripts/reference/requirements.txt
    /tmp/phref/bin/python scripts/reference/phones.py

writes, from a fixed seed (the same files every run):

- tests/fixtures/phones/corpus.tsv — one cell a line: its class, the default region, the
  cell, libphonenumber's verdict on it (`reference`), ours (`expected`), whether a wrapper
  (`tel:`, `wa.me/`, a label) is taken off it, and, where ours differs from the reference
  on purpose, why (`reason`). The test runs `Phone::parse_cell` on every cell and needs no
  Python.
- tests/fixtures/phones/nd-zeros.txt — the first code point of every run of ten Unicode
  decimal digits (category Nd), which `ND_ZEROS` in src/domain/phone.rs must equal.

A verdict is `+E164`, `+E164;ext=N` with an extension, `invalid`, or (ours only)
`invalid:KIND` when we name the error (`letters`, `two-numbers`, `unexpected`).

Cells are written escaped: `\\`, `\t`, `\n`, `\r`, and `\u{HEX}` for any space other than
U+0020, control, format or combining character, so that a reader sees them.
"""

import random
import sys
import unicodedata
from pathlib import Path

import phonenumbers
import unicodedata2
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType as T

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "phones"
SEED = 12

# Regions of the lists we load first, then the world.
MAIN_REGIONS = ["RU", "KZ", "BY", "UA", "US", "GB", "DE", "IN", "AE"]
MORE_REGIONS = [
    "UZ", "KG", "AM", "GE", "AZ", "MD", "TJ", "TM", "TR", "PL", "FR", "IT", "ES", "CN", "JP",
    "BR", "IL", "CA", "AU", "NL", "CH", "FI", "EE", "LV", "LT", "SA", "EG", "MX", "ID", "VN",
    "TH", "KR", "AR", "NG", "ZA", "SE", "CZ", "RS", "MN", "AT",
]
TYPES = [T.MOBILE, T.FIXED_LINE, T.TOLL_FREE, T.VOIP, T.PREMIUM_RATE, T.UAN]

# Digit sets from before Unicode 14 (Python 3.11's `re` reads those as `\d`).
DIGIT_ZEROS = {
    "fullwidth": 0xFF10,
    "arabic-indic": 0x0660,
    "extended-arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "myanmar": 0x1040,
    "math-bold": 0x1D7CE,
}
# libphonenumber's own dashes and spaces (its _VALID_PUNCTUATION).
LIB_DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\u30fc", "\uff0d"]
LIB_SPACES = ["\u00a0", "\u3000"]
# Space separators libphonenumber leaves out and we read as spaces (category Zs).
OUR_SPACES = ["\u202f", "\u2007", "\u2009", "\u2002", "\u205f", "\t"]
LABELS = [
    "Tel:", "Tel.", "tel:", "TEL:", "Phone:", "phone", "Mobile:", "WhatsApp:", "whatsapp",
    "тел.", "Тел.", "Тел.:", "тел:", "Телефон:", "моб.", "Моб.", "моб:", "раб.", "Раб.",
]
# Where ours differs from libphonenumber on purpose: the tag in the corpus, and why.
REASONS = {
    "spaces": (
        "every Unicode space separator (U+202F, U+2007, U+2009…) and tab is a space "
    "to us; libphonenumber reads only U+0020, U+00A0 and U+3000"
    ),
    "wa.me": (
        "a WhatsApp link carries the international number without its +, so no default "
    "region applies; libphonenumber reads it in the default region, or not at all after `?`"
    ),
    "letters": (
        "in a contact list a letter is a typo (8-999-CALL-NOW), not a vanity number, "
    "and text before the number other than a known label is not skipped"
    ),
    "two-numbers": "a cell holds one number; we do not pick one of two",
    "star": (
        "`*` is kept by libphonenumber for service codes (*100#); in a contact list it is a "
        "stray character"
    ),
}
SPACE_REASON, WA_REASON, LETTERS_REASON, TWO_REASON = "spaces", "wa.me", "letters", "two-numbers"

rng = random.Random(SEED)


def verdict(cell, region):
    """libphonenumber's verdict: `+E164[;ext=N]` for a valid number, else `invalid`."""
    try:
        number = phonenumbers.parse(cell, region)
    except phonenumbers.NumberParseException:
        return "invalid"
    if not phonenumbers.is_valid_number(number):
        return "invalid"
    e164 = phonenumbers.format_number(number, F.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164


def escape(cell):
    out = []
    for c in cell:
        if c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c != " " and unicodedata2.category(c) in ("Zs", "Zl", "Zp", "Cc", "Cf", "Mn"):
            out.append("\\u{%X}" % ord(c))
        else:
            out.append(c)
    return "".join(out)


rows = []
seen = set()


def add(cls, region, cell, expected=None, reason="", wrapped=False):
    """A corpus line. `expected` defaults to the reference; a different verdict must say why."""
    if (region, cell) in seen:
        return
    seen.add((region, cell))
    reference = verdict(cell, region)
    expected = reference if expected is None else expected
    if expected.split(":")[0] != reference.split(":")[0] or (
        expected.startswith("+") and expected != reference
    ):
        assert reason, (cls, region, cell, reference, expected)
    else:
        reason = ""
    rows.append((cls, region, escape(cell), reference, expected, "1" if wrapped else "", reason))


def like_reference(cls, region, cell, reference_cell, reason, wrapped=False):
    """A cell we read as libphonenumber reads `reference_cell` (what we make of it)."""
    expected = verdict(reference_cell, region)
    add(cls, region, cell, expected, reason, wrapped)


def in_digits(text, zero):
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


def numbers_of(region):
    """Example numbers of the region, and random neighbours of them (valid or not)."""
    out = []
    for t in TYPES:
        example = phonenumbers.example_number_for_type(region, t)
        if example is None:
            continue
        out.append(example)
        national = str(example.national_number)
        for _ in range(1):
            k = rng.randint(2, min(5, len(national) - 1))
            digits = national[:-k] + "".join(rng.choice("0123456789") for _ in range(k))
            n = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(digits))
            if example.italian_leading_zero:
                n.italian_leading_zero = True
            out.append(n)
    return out


def formats(n):
    return {
        "e164": phonenumbers.format_number(n, F.E164),
        "international": phonenumbers.format_number(n, F.INTERNATIONAL),
        "national": phonenumbers.format_number(n, F.NATIONAL),
        "rfc3966": phonenumbers.format_number(n, F.RFC3966),
    }


def examples(region, main):
    for n in numbers_of(region):
        f = formats(n)
        e164, intl, national = f["e164"], f["international"], f["national"]
        add("example-e164", region, e164)
        add("example-international", region, intl)
        add("example-national", region, national)
        add("example-digits", region, "".join(c for c in national if c.isdigit()))
        # The verdict of an international number does not depend on the default region.
        for other in rng.sample(MAIN_REGIONS, 1):
            add("international-other-region", other, intl)
        for caller in rng.sample(["RU", "US", "DE", "KZ", "GB"], 1 if not main else 2):
            add("out-of-country", caller, phonenumbers.format_out_of_country_calling_number(n, caller))
        if not main and rng.random() < 0.5:
            continue
        # Unicode digits and libphonenumber's separators.
        script, zero = rng.choice(list(DIGIT_ZEROS.items()))
        add(f"digits-{script}", region, in_digits(national, zero))
        plus = "＋" if script == "fullwidth" else "+"
        add(f"digits-{script}", rng.choice(MAIN_REGIONS), plus + in_digits(intl[1:], zero))
        dash = rng.choice(LIB_DASHES)
        add("dashes", region, national.replace(" ", dash).replace("-", dash))
        add("dashes", region, intl.replace(" ", dash, 2).replace("-", dash))
        space = rng.choice(LIB_SPACES)
        add("spaces-libphonenumber", region, intl.replace(" ", space))
        add("soft-hyphen", region, national.replace(" ", "\u00ad"))
        ours = rng.choice(OUR_SPACES)
        for cell, r in [(intl.replace(" ", ours), rng.choice(MAIN_REGIONS)), (national.replace(" ", ours), region)]:
            like_reference("spaces-ours", r, cell, cell.replace(ours, " "), SPACE_REASON)
        # (+cc) and (+cc area)
        cc, _, rest = intl.partition(" ")
        add("bracketed-country-code", rng.choice(MAIN_REGIONS), f"({cc}) {rest}")
        area, _, tail = rest.partition(" ")
        if tail:
            add("bracketed-country-code", rng.choice(MAIN_REGIONS), f"({cc} {area}) {tail}")
        # Wrappers.
        add("tel-uri", rng.choice(MAIN_REGIONS), f["rfc3966"], wrapped=True)
        add("tel-uri", rng.choice(MAIN_REGIONS), "tel:" + e164, wrapped=True)
        digits = e164[1:]
        for link in rng.sample(["https://wa.me/", "wa.me/", "https://api.whatsapp.com/send?phone="], 1):
            r = rng.choice([region, rng.choice(MAIN_REGIONS)])
            suffix = rng.choice(["", "", "?text=Здравствуйте", "&text=hi", "/"])
            like_reference("whatsapp-link", r, link + digits + suffix, e164, WA_REASON, wrapped=True)
        label = rng.choice(LABELS)
        add("label", region, f"{label} {national}", wrapped=True)
        add("label", rng.choice(MAIN_REGIONS), f"{rng.choice(LABELS)} {intl}", wrapped=True)
        # Extensions as libphonenumber and we write them.
        ext = str(rng.randint(1, 9999))
        marker = rng.choice([" доб. ", " доб ", " ext. ", " ext ", " x", " #", " x "])
        add("extension", region, national + marker + ext)


def golden():
    """Each example of issue 12, and more of the same classes."""
    ru = "RU"
    for cell in [
        "＋７ ９９９ １２３-４５-６７", "８ ９９９ １２３ ４５ ６７", "٨٩٩٩١٢٣٤٥٦٧", "+٧ ٩٩٩ ١٢٣ ٤٥ ٦٧",
        "۸ ۹۹۹ ۱۲۳ ۴۵ ۶۷", "+७ ९९९ १२३ ४५ ६७", "+7 999 123\u221245\u221267", "8\u2012999\u20121234567",
        "+7\u2015999\u2015123\u201545\u201567", "+7\uff0d999\uff0d123\uff0d45\uff0d67",
        "+7\u3000999\u3000123\u300045\u300067", "+7 999 123\u00ad45\u00ad67", "(+7) 999 123-45-67",
        "(+7 495) 123-45-67", "(+375) 29 123-45-67", "（+7）999 123-45-67", "+7 (999) 123-45-67.",
        "tel:+79991234567", "tel:+7-999-123-45-67", "tel:+7-999-123-45-67;ext=12",
        "Tel: +7 999 123 45 67", "тел. 8 (999) 123-45-67", "Тел.: +7 999 123-45-67",
        "моб. 8 999 123 45 67", "раб. 8 (495) 123-45-67", "Phone: +7 999 1234567",
        "WhatsApp: +7 999 123 45 67", "8~10 44 20 7946 0000", "+7 999 123~45~67",
        "'+7 999 123-45-67", "\u200e+7 999 123 45 67\u200e", "\ufeff89991234567",
        "+7 999 123 45 67 доб. 12", "8 (495) 123-45-67 доб 123",
    ]:
        add("golden", ru, cell, wrapped=cell.lower().startswith(("tel", "тел", "моб", "раб", "phone", "whatsapp")))
    for region in MAIN_REGIONS:
        for space in ["\u202f", "\u2007"]:
            for cell in [f"+7{space}999{space}123{space}45{space}67", f"8{space}999{space}123{space}45{space}67",
                         f"+44{space}20{space}7946{space}0000", f"+1{space}202{space}555{space}0143"]:
                like_reference("golden-narrow-spaces", region, cell, cell.replace(space, " "), SPACE_REASON)
        like_reference("golden-whatsapp", region, "https://wa.me/79991234567", "+79991234567", WA_REASON, wrapped=True)
        like_reference("golden-whatsapp", region, "https://wa.me/14155552671?text=hi", "+14155552671", WA_REASON, wrapped=True)
        like_reference("golden-whatsapp", region, "api.whatsapp.com/send?phone=77011234567", "+77011234567", WA_REASON, wrapped=True)


def deliberate():
    """Cells we refuse and libphonenumber reads."""
    for region, cell in [
        ("RU", "8-999-CALL-NOW"), ("US", "1-800-FLOWERS"), ("US", "+1 800 FLOWERS"), ("GB", "0800 GO TESCO"),
        ("RU", "8 999 12З 45 67"), ("RU", "+7 999 123 45 6О"), ("RU", "+7 999 l23 45 67"),
        ("RU", "Иван +7 999 123 45 67"), ("RU", "звонить 8 999 123 45 67"), ("RU", "call 8 999 123 45 67"),
        ("RU", "+7 999 123 45 67 (моб)"), ("RU", "+7 999 123 45 67 Иван"), ("DE", "Büro 030 123456"),
        ("RU", "8 999 ABC 45 67"), ("KZ", "8 701 PHONE 67"), ("RU", "telegram 8 999 123 45 67"),
    ]:
        add("letters", region, cell, "invalid:letters", LETTERS_REASON)
    valid = []
    for region in MAIN_REGIONS:
        for t in [T.MOBILE, T.FIXED_LINE]:
            n = phonenumbers.example_number_for_type(region, t)
            if n:
                valid.append((region, n))
    for sep in [", ", "; ", " / ", "\n", " или ", " or ", ",", " | "]:
        for _ in range(4):
            (region, a), (_, b) = rng.sample(valid, 2)
            fa = rng.choice([F.INTERNATIONAL, F.NATIONAL, F.E164])
            cell = phonenumbers.format_number(a, fa) + sep + phonenumbers.format_number(b, F.INTERNATIONAL)
            add("two-numbers", region, cell, "invalid:two-numbers", TWO_REASON)
    for cell in ["89991234567 89997654321", "+7 999 123 45 67 +7 999 765 43 21"]:
        add("two-numbers", "RU", cell, "invalid:two-numbers", TWO_REASON)
    for region, cell in [("RU", "+7 999 123*45*67"), ("RU", "8 999 123*45*67"), ("RU", "*89991234567"),
                         ("GB", "020 7946*0000"), ("US", "+1 202 555 0143*")]:
        add("stray", region, cell, "invalid:unexpected", "star")


def noise():
    """Digit strings of every length with the usual separators, in every region."""
    for region in MAIN_REGIONS + rng.sample(MORE_REGIONS, 10):
        for _ in range(40):
            length = rng.randint(3, 19)
            digits = "".join(rng.choice("0123456789") for _ in range(length))
            lead = rng.choice(["", "", "+", "8", "0", "00", "+7", "(", "8 ("])
            out, i = [lead], 0
            while i < len(digits):
                k = rng.randint(1, 4)
                out.append(digits[i:i + k])
                out.append(rng.choice([" ", "-", "", ".", ") "]) if i + k < len(digits) else "")
                i += k
            add("noise", region, "".join(out))
    for cell in ["", "+", "123", "#ERROR!", "#ИМЯ?", "7,99912E+10", "8.99912e+10", "+7 999 123 45 6⁷",
                 "+7 999 123_45_67", "½", "+7 999 123 45 67 8", "8 999 123 45 67 890"]:
        add("noise", "RU", cell)


def nd_zeros():
    zeros = [c for c in range(0x110000) if unicodedata2.category(chr(c)) == "Nd" and unicodedata2.decimal(chr(c)) == 0]
    for z in zeros:
        for i in range(10):
            c = chr(z + i)
            assert unicodedata2.category(c) == "Nd" and unicodedata2.decimal(c) == i, hex(z + i)
    total = sum(1 for c in range(0x110000) if unicodedata2.category(chr(c)) == "Nd")
    assert total == 10 * len(zeros), (total, len(zeros))
    # Python's own tables (older) have no Nd run that ours lack.
    builtin = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Nd" and unicodedata.decimal(chr(c)) == 0]
    assert set(builtin) <= set(zeros)
    return zeros


def main():
    for region in MAIN_REGIONS:
        examples(region, main=True)
    for region in MORE_REGIONS:
        examples(region, main=False)
    golden()
    deliberate()
    noise()
    header = (
        f"# Generated by scripts/reference/phones.py (seed {SEED}) with phonenumbers "
        f"{phonenumbers.__version__}, Python {sys.version.split()[0]}; do not edit by hand.\n"
        + "".join(f"# reason {tag}: {why}\n" for tag, why in REASONS.items())
        + "class\tregion\tcell\treference\texpected\twrapped\treason\n"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "corpus.tsv", "w", encoding="utf-8", newline="\n") as f:
        f.write(header)
        for row in rows:
            f.write("\t".join(row) + "\n")
    zeros = nd_zeros()
    with open(OUT / "nd-zeros.txt", "w", encoding="utf-8", newline="\n") as f:
        f.write(
            f"# The zero of every run of ten Unicode decimal digits (Nd), Unicode "
            f"{unicodedata2.unidata_version} (unicodedata2); "
            "written by scripts/reference/phones.py.\n"
        )
        for z in zeros:
            f.write("%04X\n" % z)
    differ = sum(1 for r in rows if r[6])
    print(f"{len(rows)} cells, {differ} deliberately different, {len(zeros)} Nd runs", file=sys.stderr)


if __name__ == "__main__":
    main()
