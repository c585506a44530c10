"""docs/protocol.md read as a specification: the tables marked ◆ and the worked example (§7).

Everything the spec-only terminal (spec_terminal.py) knows about mpos comes from here — field
formats, messages, the field set of each message, response codes, the refusal tables with
their protection, the constants (KDF labels, HPKE info strings, associated data), the key-block
and TLV tables — parsed from the page's Markdown, never from Swift. Each parsed constant
remembers where it stands on the page, so that `mutations()` can change it there: a terminal
built from a changed page must then fail against the real host.

The byte-string language of the constants table (the page's "Conventions"):
    "text"          ASCII bytes            0x00, 0x0010   bytes in hex
    MTI             the 4 ASCII digits     7, 41, …       a field's value as sent
    len(name)       one byte, the length   be32(name)     4 bytes, big-endian
    SHA-256(name)   32 bytes               name           a value the caller supplies
joined by ‖.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field as dataclass_field
from typing import Callable


class PageError(Exception):
    """The page lacks something the terminal needs, or states it in a form it cannot read."""


@dataclass(frozen=True)
class Cell:
    """A constant as it stands on the page: its text and where (line, column span)."""
    text: str
    line: int
    start: int
    end: int
    what: str  # a human name for the mutation report


@dataclass(frozen=True)
class FieldFormat:
    number: int
    kind: str        # "n", "ans" or "b"
    prefix: int      # 0 fixed, 2 LLVAR, 3 LLLVAR
    length: int      # the fixed length, or the maximum


@dataclass(frozen=True)
class Operation:
    name: str
    request_mti: str
    response_mti: str
    field: int       # 70 or 3
    value: str


@dataclass(frozen=True)
class Check:
    table: str
    text: str
    code: str        # "—" for "answered from the retransmission cache"
    protection: str  # "signature", "K_EC and signature", "MAC", "as first sent"


@dataclass(frozen=True)
class KeyBlockSlot:
    position: int
    key: str
    usage: str
    mode: str
    exportability: str


@dataclass(frozen=True)
class Item:
    tag: int
    name: str
    card_opening: bool
    contract_signing: bool


@dataclass
class Page:
    text: str
    fields: dict[int, FieldFormat] = dataclass_field(default_factory=dict)
    operations: dict[str, Operation] = dataclass_field(default_factory=dict)
    field_sets: dict[str, list[int]] = dataclass_field(default_factory=dict)
    codes: dict[str, str] = dataclass_field(default_factory=dict)
    checks: dict[str, list[Check]] = dataclass_field(default_factory=dict)
    constants: dict[str, str] = dataclass_field(default_factory=dict)
    hpke_suite: tuple[int, int, int] = (0, 0, 0)
    key_blocks: list[KeyBlockSlot] = dataclass_field(default_factory=list)
    items: dict[str, Item] = dataclass_field(default_factory=dict)
    example_inputs: dict[str, str] = dataclass_field(default_factory=dict)
    example_steps: dict[str, dict[str, str]] = dataclass_field(default_factory=dict)
    cells: list[tuple[Cell, str]] = dataclass_field(default_factory=list)  # (cell, mutation kind)

    # Lookups the terminal makes; each names what it looked for when it is missing.

    def operation(self, name: str) -> Operation:
        if name not in self.operations:
            raise PageError(f"§4.1 has no operation '{name}'")
        return self.operations[name]

    def fields_of(self, message: str) -> list[int]:
        if message not in self.field_sets:
            raise PageError(f"§4.2 has no message '{message}'")
        return self.field_sets[message]

    def check(self, table: str, words: str) -> Check:
        rows = [c for c in self.checks.get(table, []) if words in c.text]
        if len(rows) != 1:
            raise PageError(f"§4.4 '{table}' has {len(rows)} rows with '{words}', not one")
        return rows[0]

    def constant(self, name: str) -> str:
        if name not in self.constants:
            raise PageError(f"§5.1 has no constant '{name}'")
        return self.constants[name]

    def item(self, name: str) -> Item:
        if name not in self.items:
            raise PageError(f"§5.4 has no item '{name}'")
        return self.items[name]


# MARK: Markdown


def _cells(line: str) -> list[tuple[str, int, int]]:
    """The cells of a table row with their spans (inside the pipes, stripped)."""
    out = []
    bars = [i for i, ch in enumerate(line) if ch == "|"]
    for left, right in zip(bars, bars[1:]):
        raw = line[left + 1:right]
        stripped = raw.strip()
        start = left + 1 + (len(raw) - len(raw.lstrip()))
        out.append((stripped, start, start + len(stripped)))
    return out


def _tables(lines: list[str]) -> list[tuple[str, str, list[str], list[tuple[int, list[tuple[str, int, int]]]]]]:
    """Every table: (the heading above it, the bold lead of the paragraph above it, its header
    cells, its rows as (line index, cells))."""
    tables = []
    heading = lead = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("#"):
            heading, lead = stripped.lstrip("#").strip(), ""
        elif stripped.startswith("**"):
            lead = stripped[2:].split("**")[0]
        if stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[-| ]+\|\s*$", lines[i + 1]):
            header = [c[0] for c in _cells(line)]
            rows = []
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                rows.append((j, _cells(lines[j])))
                j += 1
            tables.append((heading, lead, header, rows))
            i = j
            continue
        i += 1
    return tables


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text.startswith("`") and text.endswith("`"):
        return text[1:-1]
    return text


def _find_table(tables, header_start: list[str], heading: str | None = None, lead: str | None = None):
    found = [t for t in tables if t[2][:len(header_start)] == header_start
             and (heading is None or t[0].startswith(heading)) and (lead is None or t[1] == lead)]
    if len(found) != 1:
        raise PageError(f"expected one table {header_start} under '{heading or lead}', found {len(found)}")
    return found[0]


# MARK: Parsing


FORMAT = re.compile(r"^(?:(LL|LLL)VAR )?(n|ans|b) (?:\.\.)?(\d+)$")
IDENTIFIED = re.compile(r"^field (\d+) = `(\d+)`$")


def parse(text: str) -> Page:
    lines = text.split("\n")
    page = Page(text=text)
    tables = _tables(lines)

    def cell(line: int, c: tuple[str, int, int], what: str, kind: str) -> str:
        page.cells.append((Cell(c[0], line, c[1], c[2], what), kind))
        return c[0]

    # §3 fields
    _, _, _, rows = _find_table(tables, ["field", "name", "format"], heading="3.")
    for line, cells in rows:
        number = int(cells[0][0])
        spelled = cell(line, cells[2], f"§3 format of field {number}", "format")
        m = FORMAT.match(spelled)
        if not m:
            raise PageError(f"§3: field {number}'s format '{spelled}' is not 'n 6', 'LLLVAR b ..999' or the like")
        prefix = {None: 0, "LL": 2, "LLL": 3}[m.group(1)]
        page.fields[number] = FieldFormat(number, m.group(2), prefix, int(m.group(3)))

    # §4.1 operations
    _, _, _, rows = _find_table(tables, ["operation", "request", "response", "identified by"], heading="4.1")
    for line, cells in rows:
        name = cells[0][0]
        request = cell(line, cells[1], f"§4.1 request MTI of {name}", "mti")
        response = cell(line, cells[2], f"§4.1 response MTI of {name}", "mti")
        identified = cell(line, cells[3], f"§4.1 field 70 / field 3 of {name}", "identified")
        m = IDENTIFIED.match(identified)
        if not m:
            raise PageError(f"§4.1: '{identified}' is not 'field N = `V`'")
        page.operations[name] = Operation(name, request, response, int(m.group(1)), m.group(2))

    # §4.2 field sets
    _, _, _, rows = _find_table(tables, ["message", "fields"], heading="4.2")
    for line, cells in rows:
        spelled = cell(line, cells[1], f"§4.2 fields of '{cells[0][0]}'", "fields")
        page.field_sets[cells[0][0]] = [int(n) for n in spelled.split(",")]

    # §4.3 codes
    _, _, _, rows = _find_table(tables, ["code", "meaning"], heading="4.3")
    for line, cells in rows:
        code = _unquote(cell(line, cells[0], f"§4.3 code '{cells[1][0][:40]}'", "code"))
        if code in page.codes:
            raise PageError(f"§4.3 lists {code} twice")
        page.codes[code] = cells[1][0]

    # §4.4 the refusal tables
    for table, lead in [("enrollment", "Enrollment"), ("network", "Sign-on, sign-off and echo"),
                        ("business", "Card opening and contract signing"), ("any", "Any request")]:
        _, _, _, rows = _find_table(tables, ["check", "code", "protected by"], heading="4.4", lead=lead)
        page.checks[table] = []
        for line, cells in rows:
            what = f"§4.4 {table}: '{cells[0][0][:60]}'"
            code = _unquote(cell(line, cells[1], f"{what}, code", "check-code"))
            protection = cell(line, cells[2], f"{what}, protection", f"protection:{table}")
            page.checks[table].append(Check(table, cells[0][0], code, protection))

    # §5.1 constants
    _, _, _, rows = _find_table(tables, ["constant", "bytes", "used for"], heading="5.1")
    for line, cells in rows:
        name = cells[0][0]
        value = _unquote(cell(line, cells[1], f"§5.1 constant '{name}'", "bytes"))
        page.constants[name] = value
    suite = re.fullmatch(r"KEM 0x([0-9A-F]{4}), KDF 0x([0-9A-F]{4}), AEAD 0x([0-9A-F]{4})", page.constant("HPKE suite"))
    if not suite:
        raise PageError("§5.1: the HPKE suite is not 'KEM 0x…, KDF 0x…, AEAD 0x…'")
    page.hpke_suite = tuple(int(g, 16) for g in suite.groups())  # type: ignore[assignment]

    # §5.3 key blocks
    _, _, _, rows = _find_table(tables, ["position", "key", "usage", "mode", "exportability"], heading="5.3")
    for line, cells in rows:
        key = cells[1][0]
        page.key_blocks.append(KeyBlockSlot(
            int(cells[0][0]), key,
            _unquote(cell(line, cells[2], f"§5.3 usage of the {key}", "usage")),
            _unquote(cell(line, cells[3], f"§5.3 mode of the {key}", "mode")),
            _unquote(cell(line, cells[4], f"§5.3 exportability of the {key}", "exportability"))))

    # §5.4 items
    _, _, _, rows = _find_table(tables, ["tag", "item", "value", "card opening", "contract signing"], heading="5.4")
    for line, cells in rows:
        name = cells[1][0]
        tag = _unquote(cell(line, cells[0], f"§5.4 tag of the {name}", "tag"))
        opening = cell(line, cells[3], f"§5.4 card opening's need of the {name}", "need")
        contract = cell(line, cells[4], f"§5.4 contract signing's need of the {name}", "need")
        for need in (opening, contract):
            if need not in ("required", "—"):
                raise PageError(f"§5.4: '{need}' is neither 'required' nor '—'")
        page.items[name] = Item(int(tag, 16), name, opening == "required", contract == "required")

    _parse_example(lines, page)
    return page


def _parse_example(lines: list[str], page: Page) -> None:
    """§7's generated values: '- name: `text`' or '- name (N bytes):' followed by a code block."""
    try:
        begin = next(i for i, l in enumerate(lines) if l.startswith("<!-- worked-example:begin"))
        end = next(i for i, l in enumerate(lines) if l.startswith("<!-- worked-example:end"))
    except StopIteration:
        raise PageError("§7 has no worked-example markers") from None
    target = page.example_inputs
    i = begin
    while i < end:
        line = lines[i]
        if line.startswith("### "):
            target = page.example_steps.setdefault(line[4:].strip(), {})
        m = re.match(r"^- (.+?): `(.*)`$", line)
        if m:
            target[m.group(1)] = m.group(2)
        m = re.match(r"^- (.+?) \((\d+) bytes\):$", line)
        if m:
            j = i + 1
            while j < end and lines[j].strip() != "```":
                j += 1
            k = j + 1
            hex_lines = []
            while k < end and lines[k].strip() != "```":
                hex_lines.append(lines[k].strip())
                k += 1
            target[m.group(1)] = "".join(hex_lines)
            i = k
        i += 1


# MARK: Byte strings


def evaluate(formula: str, mti: str = "", fields: dict[int, bytes] | None = None, **values: bytes | int) -> bytes:
    """The bytes a constant's formula names (see the module's docstring)."""
    out = b""
    for token in (t.strip() for t in formula.split("‖")):
        out += _token(token, mti, fields or {}, values)
    return out


def split_known_prefix(formula: str, unknown: str, **values: bytes | int) -> bytes:
    """The bytes before `unknown`, which must be the formula's last token (to read an envelope
    whose last part is the key)."""
    tokens = [t.strip() for t in formula.split("‖")]
    if tokens[-1] != unknown:
        raise PageError(f"'{formula}' does not end with {unknown}")
    return b"".join(_token(t, "", {}, values) for t in tokens[:-1])


def _token(token: str, mti: str, fields: dict[int, bytes], values: dict[str, bytes | int]) -> bytes:
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        return token[1:-1].encode("ascii")
    if re.fullmatch(r"0x([0-9A-F]{2})+", token):
        return bytes.fromhex(token[2:])
    if token == "MTI":
        if not mti:
            raise PageError("a formula needs the MTI here")
        return mti.encode("ascii")
    if token.isdigit():
        if int(token) not in fields:
            raise PageError(f"a formula needs field {token}, which the message lacks")
        return fields[int(token)]
    m = re.fullmatch(r"(len|be32|SHA-256)\((.+)\)", token)
    if m:
        value = _value(m.group(2), values)
        if m.group(1) == "len":
            return bytes([len(value)])  # type: ignore[arg-type]
        if m.group(1) == "be32":
            return int(value).to_bytes(4, "big")  # type: ignore[arg-type]
        return hashlib.sha256(value).digest()  # type: ignore[arg-type]
    value = _value(token, values)
    if not isinstance(value, bytes):
        raise PageError(f"'{token}' is not bytes")
    return value


def _value(name: str, values: dict[str, bytes | int]) -> bytes | int:
    key = name.replace(" ", "_")
    if key not in values:
        raise PageError(f"a formula names '{name}', which this use does not supply")
    return values[key]


# MARK: Mutations


def _next_code(page: Page, code: str) -> str:
    order = list(page.codes)
    return order[(order.index(code) + 1) % len(order)] if code in order else order[0]


def _mutate(kind: str, text: str, page: Page) -> str:
    """A changed spelling of a constant, of the same kind, that a correct host must reject or
    a correct terminal must notice."""
    inner = _unquote(text)
    requote: Callable[[str], str] = (lambda s: f"`{s}`") if text.startswith("`") else (lambda s: s)
    if kind == "format":
        m = FORMAT.match(text)
        assert m
        if m.group(1):
            return f"LLVAR {m.group(2)} ..99"
        return f"{m.group(2)} {int(m.group(3)) + 1}"
    if kind == "mti":
        return text[:3] + str((int(text[3]) + 1) % 10)
    if kind == "identified":
        m = IDENTIFIED.match(text)
        assert m
        value = m.group(2)
        return f"field {m.group(1)} = `{value[:-1]}{(int(value[-1]) + 1) % 10}`"
    if kind == "fields":
        numbers = [n.strip() for n in text.split(",")]
        return ", ".join(numbers[1:])
    if kind == "code":  # a code §4.3 no longer lists: every use of it must now fail
        return requote(inner[0] + ("Z" if inner[1] != "Z" else "Y"))
    if kind == "check-code":  # another code §4.3 lists: only the host can tell it is wrong
        if inner == "—":
            return "`30`"
        return requote(_next_code(page, inner))
    if kind.startswith("protection:"):
        table = kind.split(":")[1]
        return {"signature": "MAC", "MAC": "signature", "K_EC and signature": "signature",
                "as first sent": "signature" if table == "business" else "MAC"}[text]
    if kind == "bytes":  # a lone field number (formulas and the HPKE suite: _variants)
        return requote("40" if inner == "41" else inner)
    if kind == "usage":
        return requote(inner[0] + str((int(inner[1]) + 1) % 10) if inner[1].isdigit() else inner[0] + "0")
    if kind == "mode":
        return requote({"E": "D", "C": "G", "B": "E"}.get(inner, "B"))
    if kind == "exportability":
        return requote("E" if inner != "E" else "N")
    if kind == "tag":
        return requote(f"0x{(int(inner, 16) % 6) + 1:02X}" if int(inner, 16) != 6 else "0x07")
    if kind == "need":
        return "—" if text == "required" else "required"
    raise AssertionError(kind)


def _byte_string_mutations(text: str) -> list[str]:
    """Every one-token change of a byte-string formula: each token dropped, each pair of
    neighbours swapped, each ASCII string's last character and each hex byte changed."""
    tokens = [t.strip() for t in _unquote(text).split("‖")]
    variants: list[list[str]] = []
    if len(tokens) > 1:
        variants += [tokens[:i] + tokens[i + 1:] for i in range(len(tokens))]
        variants += [tokens[:i] + [tokens[i + 1], tokens[i]] + tokens[i + 2:] for i in range(len(tokens) - 1) if tokens[i] != tokens[i + 1]]
    for i, token in enumerate(tokens):
        if len(token) > 2 and token[0] == '"' and token[-1] == '"':
            body = token[1:-1]
            variants.append(tokens[:i] + ['"' + body[:-1] + ("X" if body[-1] != "X" else "Y") + '"'] + tokens[i + 1:])
        elif re.fullmatch(r"0x([0-9A-F]{2})+", token):
            variants.append(tokens[:i] + [f"0x{(int(token[2:], 16) + 1) % (1 << (4 * (len(token) - 2))):0{len(token) - 2}X}"] + tokens[i + 1:])
    return [f"`{' ‖ '.join(v)}`" for v in variants]


def _variants(kind: str, text: str, page: Page) -> list[str]:
    inner = _unquote(text)
    if kind == "bytes" and ("‖" in inner or '"' in inner):
        return _byte_string_mutations(text)
    if kind == "bytes" and inner.startswith("KEM "):  # each of the suite's three identifiers
        ids = list(re.finditer(r"0x([0-9A-F]{4})", inner))
        return [f"`{inner[:m.start(1)]}{int(m.group(1), 16) + 1:04X}{inner[m.end(1):]}`" for m in ids]
    return [_mutate(kind, text, page)]


def mutations(text: str) -> list[tuple[str, str]]:
    """(what was changed, the page with that one constant changed), for every constant — and,
    for a byte-string formula, for every one-token change of it."""
    page = parse(text)
    lines = text.split("\n")
    out = []
    for cell, kind in page.cells:
        for changed in _variants(kind, cell.text, page):
            if changed == cell.text:
                raise AssertionError(f"mutation of {cell.what} changed nothing")
            copy = list(lines)
            line = copy[cell.line]
            copy[cell.line] = line[:cell.start] + changed + line[cell.end:]
            out.append((f"{cell.what}: {cell.text} → {changed}", "\n".join(copy)))
    return out
