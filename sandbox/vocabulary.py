"""The fixed word lists the dataset draws from; immutable, so sharing them is safe."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """What a customer's country determines: phone prefix, cities, currency, language, names."""

    code: str
    dialling_code: str
    cities: tuple[tuple[str, str], ...]  # (city, area code)
    currency: str
    language: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "DE",
        "49",
        (("Berlin", "30"), ("Hamburg", "40"), ("München", "89"), ("Köln", "221")),
        "EUR",
        "de",
        ("Anna", "Lukas", "Jürgen", "Sophie", "Maximilian", "Lea"),
        ("Schmidt", "Müller", "Weiß", "Becker", "Schröder", "Hoffmann"),
    ),
    Country(
        "FR",
        "33",
        (("Paris", "1"), ("Lyon", "4"), ("Marseille", "4"), ("Lille", "3")),
        "EUR",
        "fr",
        ("Camille", "François", "Chloé", "Hugo", "Léa", "Mathis"),
        ("Martin", "Bernard", "Lefèvre", "Dubois", "Moreau", "Girard"),
    ),
    Country(
        "GB",
        "44",
        (("London", "20"), ("Manchester", "161"), ("Edinburgh", "131")),
        "GBP",
        "en",
        ("Oliver", "Amelia", "Harry", "Isla", "George", "Siobhan"),
        ("Smith", "Jones", "O'Brien", "Taylor", "Davies", "Evans"),
    ),
    Country(
        "US",
        "1",
        (("New York", "212"), ("San Francisco", "415"), ("Chicago", "312")),
        "USD",
        "en",
        ("Liam", "Olivia", "Noah", "Emma", "James", "Ava"),
        ("Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis"),
    ),
    Country(
        "NL",
        "31",
        (("Amsterdam", "20"), ("Rotterdam", "10"), ("Utrecht", "30")),
        "EUR",
        "nl",
        ("Daan", "Emma", "Sem", "Julia", "Lucas", "Tess"),
        ("de Jong", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser"),
    ),
    Country(
        "ES",
        "34",
        (("Madrid", "91"), ("Barcelona", "93"), ("Sevilla", "95")),
        "EUR",
        "es",
        ("Lucía", "Hugo", "Martina", "Mateo", "Sofía", "José"),
        ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez"),
    ),
    Country(
        "IT",
        "39",
        (("Roma", "6"), ("Milano", "2"), ("Napoli", "81")),
        "EUR",
        "it",
        ("Giulia", "Leonardo", "Sofia", "Francesco", "Aurora", "Niccolò"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"),
    ),
    Country(
        "SE",
        "46",
        (("Stockholm", "8"), ("Göteborg", "31"), ("Malmö", "40")),
        "SEK",
        "sv",
        ("Alice", "William", "Maja", "Björn", "Elsa", "Åsa"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Öberg", "Larsson"),
    ),
    Country(
        "JP",
        "81",
        (("Tokyo", "3"), ("Osaka", "6"), ("Kyoto", "75")),
        "JPY",
        "ja",
        ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"),
    ),
)

SEGMENTS = ("retail", "premium", "vip", "business")
SEGMENT_WEIGHTS = (70, 18, 4, 8)

ORDER_STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "refunded")
ORDER_STATUS_WEIGHTS = (5, 8, 10, 65, 7, 5)

TIERS = ("BRONZE", "SILVER", "GOLD", "PLATINUM")
TIER_WEIGHTS = (50, 30, 15, 5)

CHANNELS = ("email", "sms", "push", "post")

# Prices are kept in euro cents and converted, so one product costs about the same everywhere;
# JPY has no minor unit, so its rate turns cents straight into yen.
CENTS_TO_MINOR = {"EUR": 1.0, "GBP": 0.86, "USD": 1.08, "SEK": 11.4, "JPY": 1.62}

# (sku, title, price in euro cents); titles include quotes, commas and non-ASCII on purpose.
PRODUCTS: tuple[tuple[str, str, int], ...] = (
    ("SKU-10001", "Espresso Beans 1 kg", 1899),
    ("SKU-10002", "Café-Tasse, Porzellan", 1250),
    ("SKU-10003", 'Notebook A5 "dotted"', 799),
    ("SKU-10004", "Wireless Earbuds", 7999),
    ("SKU-10005", "Running Shoes", 11999),
    ("SKU-10006", "Yoga Mat", 2999),
    ("SKU-10007", "Stainless Steel Bottle 750 ml", 2499),
    ("SKU-10008", "Desk Lamp (LED)", 4599),
    ("SKU-10009", "Merino Wool Socks, 3 pairs", 2199),
    ("SKU-10010", "Cast-Iron Skillet 28 cm", 5499),
    ("SKU-10011", "Fountain Pen", 3450),
    ("SKU-10012", "Smørrebrød Cookbook", 2795),
    ("SKU-10013", "Backpack 25 l", 8900),
    ("SKU-10014", "Green Tea Sencha 200 g", 1490),
    ("SKU-10015", "USB-C Charger 65 W", 3999),
    ("SKU-10016", "Wool Scarf", 3900),
)
