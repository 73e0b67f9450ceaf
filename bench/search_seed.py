"""A million leads written straight into the lead list read model with SQL (generate_series), for the search
benchmark. Creating a million leads through the API (or even replaying a million LeadCreated events) takes
far longer than this machine gives a benchmark, and the search measures only the read model, so the rows are
made here in the form the lead_list projection gives them (`search` and `search_words` as its `_row` and
`leadstore.store.lead_list.search.lead_words` make them).

Realistic enough for a search: first and last names from common lists, companies of two words and a suffix
(and, for one lead in ten, "Company <n % 997>" as the issue's query names), emails from the names, North
American phone numbers for four leads in five, and a `segment` text custom field.
"""

from __future__ import annotations

from uuid import UUID

from leadstore.store.db import Conn


def _names(text: str) -> list[str]:
    return text.split()


FIRST = _names(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra "
    "Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian "
    "Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan "
    "Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela "
    "Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra "
    "Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Wei Mei Yuki Hiroshi "
    "Aisha Fatima Omar Ahmed Priya Rahul Olga Ivan Sofia Lucas Mateo Chloe Noah Liam"
)
LAST = _names(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim "
    "Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Li Wu Ng Chen Wang Zhang Kowalski Novak Schmidt Muller Rossi "
    "Dubois Silva Santos Okafor Mensah Haddad Yilmaz Ivanova Petrov Tanaka Sato Suzuki Kaur Singh Khan"
)
WORDS = _names(
    "North South East West Blue Green Red Silver Golden Iron Summit Harbor River Lake Pine Oak Maple Cedar Stone "
    "Bright Clear Swift Prime Apex Vertex Nova Stellar Orbit Quantum Fusion Vector Pixel Cloud Data Signal Atlas "
    "Pioneer Frontier Horizon Coastal Valley Mountain Prairie Desert Urban Metro Global United Allied Royal "
    "Liberty Union Eagle Falcon Hawk Wolf Bear Fox Lion Tiger"
)
KINDS = _names(
    "Logistics Systems Software Foods Health Energy Partners Capital Media Labs Works Motors Retail Consulting "
    "Analytics Robotics Design Builders Supply Security Networks Pharma Solar Textiles Brewing"
)
SUFFIXES = _names("Inc LLC Ltd GmbH Co Corp Group Holdings")
DOMAINS = _names("gmail.com outlook.com yahoo.com example.com proton.me icloud.com")
SEGMENTS = _names("enterprise mid-market small-business public-sector nonprofit startup")

# One statement per account: $1 account, $2 first lead number, $3 leads, $4 created_by, $5..$11 the word lists.
# The row is what the projection writes for such a lead (doc a Lead document; `search` as search_text makes it).
SEED = r"""
WITH g AS (
    SELECT n, gen_random_uuid() AS id,
        $5::text[] AS first, $6::text[] AS last, $7::text[] AS words, $8::text[] AS kinds,
        $9::text[] AS suffixes, $10::text[] AS domains, $11::text[] AS segments
    FROM generate_series($2::int, $2::int + $3::int - 1) AS n
), v AS (
    SELECT g.id, g.n,
        g.first[1 + (hashint4(n) & 2147483647) % cardinality(g.first)] AS first_name,
        g.last[1 + (hashint4(n * 7 + 1) & 2147483647) % cardinality(g.last)] AS last_name,
        CASE WHEN n % 10 = 0 THEN 'Company ' || (n % 997)
             ELSE g.words[1 + (hashint4(n * 3 + 2) & 2147483647) % cardinality(g.words)] || ' '
                  || g.kinds[1 + (hashint4(n * 5 + 3) & 2147483647) % cardinality(g.kinds)] || ' '
                  || g.suffixes[1 + (hashint4(n * 11 + 4) & 2147483647) % cardinality(g.suffixes)] END AS company,
        g.domains[1 + (hashint4(n * 13 + 5) & 2147483647) % cardinality(g.domains)] AS domain,
        CASE WHEN n % 5 <> 0 THEN '+1' || (200 + (hashint4(n * 17 + 6) & 2147483647) % 800)
             || lpad(((hashint4(n * 19 + 7) & 2147483647) % 10000000)::text, 7, '0') END AS phone,
        g.segments[1 + (hashint4(n * 23 + 8) & 2147483647) % cardinality(g.segments)] AS segment,
        (ARRAY['new','contacted','qualified','converted','lost'])[1 + n % 5] AS status,
        (ARRAY['website','referral','trade_show','cold_call','partner'])[1 + (n / 5) % 5] AS source,
        (hashint4(n * 29 + 9) & 2147483647) % 101 AS score,
        timestamptz '2024-06-01 00:00:00+00' + make_interval(secs => n * 50) AS created_at
    FROM g
), w AS (
    SELECT v.*, lower(first_name || '.' || last_name || n || '@' || domain) AS email,
        jsonb_build_object('segment', segment) AS custom
    FROM v
)
INSERT INTO lead_list (id, account_id, status, assigned_to, team_id, source, company_id, score, is_converted,
    archived, email_lower, created_by, created_at, updated_at, search, version, doc, changed_tx, changed_pos,
    phone, custom, custom_ranges, search_words)
SELECT id, $1::uuid, status, NULL, NULL, source, NULL, score, false, false, email, $4::uuid, created_at, created_at,
    lower(concat_ws(E'\n', first_name || ' ' || last_name, email, company, segment))
        || coalesce(E'\n' || substr(phone, 2), ''),
    1,
    json_build_object('id', id, 'object', 'lead', 'account_id', $1::uuid, 'first_name', first_name,
        'last_name', last_name, 'full_name', first_name || ' ' || last_name, 'created_by', $4::uuid, 'status', status,
        'email', email, 'phone', phone, 'title', NULL, 'department', NULL, 'company', company,
        'company_id', NULL, 'source', source, 'score', score, 'custom', custom, 'team_id', NULL,
        'assigned_to', NULL, 'is_converted', false, 'converted_at', NULL, 'archived', false, 'version', 1,
        'created_at', created_at, 'updated_at', created_at),
    '1'::xid8, n, phone, custom, '{}',
    array_to_tsvector(ARRAY(
        SELECT DISTINCT m[1] FROM regexp_matches(lower(concat_ws(' ', first_name, last_name, email, company, segment)),
                                                 '([[:alpha:]]+|[[:digit:]]+)', 'g') AS m)
        || CASE WHEN phone IS NULL THEN '{}'::text[] ELSE ARRAY['t' || substr(phone, 2), 't' || substr(phone, 3)] END)
FROM w"""


async def seed_account(conn: Conn, account_id: UUID, created_by: UUID, first: int, leads: int) -> None:
    """`leads` leads of one account, numbered from `first` (numbers decide names, so accounts differ)."""
    lists = (FIRST, LAST, WORDS, KINDS, SUFFIXES, DOMAINS, SEGMENTS)
    for start in range(first, first + leads, 100_000):
        count = min(100_000, first + leads - start)
        await conn.execute(SEED, account_id, start, count, created_by, *(list(words) for words in lists))
