"""The currency table, cross-checked against pycountry (ISO 4217 codes) and CLDR (babel)."""

from __future__ import annotations

import pycountry
import pytest
from babel.numbers import get_currency_precision

from orderhub import Money, minor_units
from orderhub._currencies import MINOR_UNITS

# Codes that ISO 4217 lists with minor unit "N.A.": precious metals, bond-market units, the
# SDR, the ADB unit, the SUCRE, and the testing and "no currency" codes. They are not money
# for orderhub, so the table leaves them out on purpose.
ISO_NOT_APPLICABLE = frozenset(
    {
        "XAD",  # Arab Accounting Dinar
        "XAG",  # Silver
        "XAU",  # Gold
        "XBA",  # Bond Markets Unit European Composite Unit (EURCO)
        "XBB",  # Bond Markets Unit European Monetary Unit (E.M.U.-6)
        "XBC",  # Bond Markets Unit European Unit of Account 9 (E.U.A.-9)
        "XBD",  # Bond Markets Unit European Unit of Account 17 (E.U.A.-17)
        "XDR",  # SDR (Special Drawing Right)
        "XPD",  # Palladium
        "XPT",  # Platinum
        "XSU",  # Sucre
        "XTS",  # Codes specifically reserved for testing purposes
        "XUA",  # ADB Unit of Account
        "XXX",  # The codes assigned for transactions where no currency is involved
    }
)

# Where CLDR (the data behind babel) deliberately gives other digits than ISO 4217: CLDR
# records the decimals people actually use in prices, and for these currencies the minor
# unit is not used in practice (inflation or no coins), so CLDR says 0. orderhub follows
# ISO 4217 list one, because that is what banks, card schemes and ERPs exchange.
# Each entry was checked against ISO 4217: code -> (ISO minor unit, CLDR digits).
CLDR_DEVIATIONS: dict[str, tuple[int, int]] = {
    "AFN": (2, 0),  # Afghani
    "ALL": (2, 0),  # Lek
    "COP": (2, 0),  # Colombian Peso
    "HUF": (2, 0),  # Forint
    "IDR": (2, 0),  # Rupiah
    "IQD": (3, 0),  # Iraqi Dinar: ISO keeps 3 (fils), CLDR uses 0
    "IRR": (2, 0),  # Iranian Rial
    "KPW": (2, 0),  # North Korean Won
    "LAK": (2, 0),  # Lao Kip
    "LBP": (2, 0),  # Lebanese Pound
    "MGA": (2, 0),  # Malagasy Ariary
    "MMK": (2, 0),  # Kyat
    "SOS": (2, 0),  # Somali Shilling
    "SYP": (2, 0),  # Syrian Pound
    "YER": (2, 0),  # Yemeni Rial
}


def test_codes_are_the_iso_codes_less_the_not_applicable_ones() -> None:
    """The table holds exactly pycountry's ISO 4217 codes minus the N.A. codes."""
    iso_codes = {c.alpha_3 for c in pycountry.currencies}

    expected = iso_codes - ISO_NOT_APPLICABLE

    assert set(MINOR_UNITS) == expected


def test_every_not_applicable_code_is_a_real_iso_code() -> None:
    """The documented N.A. set names only codes that ISO 4217 lists."""
    iso_codes = {c.alpha_3 for c in pycountry.currencies}

    unknown = ISO_NOT_APPLICABLE - iso_codes

    assert unknown == set()


def test_minor_units_agree_with_cldr_except_the_documented_deviations() -> None:
    """CLDR gives the same decimals as the table for every code not listed as a deviation."""
    codes = sorted(MINOR_UNITS)

    differing = {
        c: (MINOR_UNITS[c], get_currency_precision(c))
        for c in codes
        if MINOR_UNITS[c] != get_currency_precision(c)
    }

    assert differing == CLDR_DEVIATIONS


@pytest.mark.parametrize(
    ("currency", "decimals"),
    [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("IQD", 3)],
)
def test_well_known_currencies_have_their_iso_decimals(currency: str, decimals: int) -> None:
    """JPY 0, USD 2, KWD 3, BHD 3 and CLF 4 decimals, as ISO 4217 says."""
    one_unit = Money.from_minor(1, currency)

    table, function = MINOR_UNITS[currency], minor_units(currency)

    assert (table, function) == (decimals, decimals)
    assert one_unit.amount.as_tuple().exponent == -decimals


def test_table_shape() -> None:
    """Codes are three upper-case letters in alphabetical order, with 0 to 4 decimals."""
    codes = list(MINOR_UNITS)

    well_formed = [c for c in codes if len(c) == 3 and c.isascii() and c.isupper()]

    assert well_formed == codes
    assert codes == sorted(codes)
    assert set(MINOR_UNITS.values()) <= set(range(5))
