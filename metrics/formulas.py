"""Formulas over metric keys: numbers, keys, ``+ - * /``, parentheses, ``min`` and ``max``.

Parsed by a small recursive-descent parser into a tree and evaluated on Decimals — never
``eval``. A missing input or a division by zero gives no value (None), not an error.
Pure Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

KEY_PATTERN = r"[a-z][a-z0-9_]*"
FUNCTIONS = ("min", "max")
_TOKEN = re.compile(rf"\s*(?:(\d+(?:\.\d+)?|\.\d+)|({KEY_PATTERN})|(.))")


class FormulaError(ValueError):
    """A formula that does not parse, names what is not there, or goes round in a cycle."""


# --- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: Decimal

    def evaluate(self, values):
        return self.value


@dataclass(frozen=True)
class Key:
    name: str

    def evaluate(self, values):
        return values.get(self.name)


@dataclass(frozen=True)
class Negate:
    operand: object

    def evaluate(self, values):
        value = self.operand.evaluate(values)
        return None if value is None else -value


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object

    def evaluate(self, values):
        left, right = self.left.evaluate(values), self.right.evaluate(values)
        if left is None or right is None:
            return None
        if self.op == "+":
            return left + right
        if self.op == "-":
            return left - right
        if self.op == "*":
            return left * right
        return None if right == 0 else left / right


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple

    def evaluate(self, values):
        evaluated = [argument.evaluate(values) for argument in self.arguments]
        if any(value is None for value in evaluated):
            return None
        return min(evaluated) if self.function == "min" else max(evaluated)


@dataclass(frozen=True)
class Formula:
    text: str
    tree: object
    keys: frozenset[str]

    def evaluate(self, values: Mapping[str, Decimal | None]) -> Decimal | None:
        with localcontext() as context:
            context.prec = 34
            try:
                return self.tree.evaluate(values)
            except (InvalidOperation, OverflowError):
                return None

    def __str__(self):
        return self.text

    def __repr__(self):
        # The text says it all; the generated repr would show ``keys``, a frozenset whose order
        # changes with the process's hash seed (and fingerprints are built from reprs).
        return f"Formula({self.text!r})"


# --- parsing --------------------------------------------------------------------------------------


def parse(text: str) -> Formula:
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    tree = parser.expression()
    if parser.peek() is not None:
        raise FormulaError(f"Unexpected {parser.peek()[1]!r} in {text!r}.")
    return Formula(text=text.strip(), tree=tree, keys=frozenset(_keys(tree)))


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        number, name, symbol = match.groups()
        if number is not None:
            tokens.append(("number", number))
        elif name is not None:
            tokens.append(("name", name))
        elif symbol in "+-*/(),":
            tokens.append(("symbol", symbol))
        else:
            raise FormulaError(f"{symbol!r} is not allowed in a formula ({text!r}).")
        position = match.end()
    if not tokens:
        raise FormulaError("The formula is empty.")
    return tokens


class _Parser:
    """expression := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
    factor := '-' factor | number | key | function '(' expression (',' expression)* ')'
    | '(' expression ')'"""

    def __init__(self, tokens, text):
        self.tokens, self.position, self.text = tokens, 0, text

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self):
        token = self.peek()
        if token is None:
            raise FormulaError(f"{self.text!r} ends too early.")
        self.position += 1
        return token

    def expect(self, symbol):
        token = self.take()
        if token != ("symbol", symbol):
            raise FormulaError(f"Expected {symbol!r} but found {token[1]!r} in {self.text!r}.")

    def expression(self):
        node = self.term()
        while self.peek() in (("symbol", "+"), ("symbol", "-")):
            node = Binary(self.take()[1], node, self.term())
        return node

    def term(self):
        node = self.factor()
        while self.peek() in (("symbol", "*"), ("symbol", "/")):
            node = Binary(self.take()[1], node, self.factor())
        return node

    def factor(self):
        kind, value = self.take()
        if (kind, value) == ("symbol", "-"):
            return Negate(self.factor())
        if (kind, value) == ("symbol", "("):
            node = self.expression()
            self.expect(")")
            return node
        if kind == "number":
            return Number(Decimal(value))
        if kind == "name":
            if self.peek() == ("symbol", "("):
                if value not in FUNCTIONS:
                    raise FormulaError(f"Unknown function {value!r}: use min or max.")
                return self.call(value)
            if value in FUNCTIONS:
                raise FormulaError(f"{value} needs arguments in parentheses.")
            return Key(value)
        raise FormulaError(f"Unexpected {value!r} in {self.text!r}.")

    def call(self, function):
        self.expect("(")
        arguments = [self.expression()]
        while self.peek() == ("symbol", ","):
            self.take()
            arguments.append(self.expression())
        self.expect(")")
        return Call(function, tuple(arguments))


def _keys(node) -> Iterable[str]:
    if isinstance(node, Key):
        yield node.name
    elif isinstance(node, Negate):
        yield from _keys(node.operand)
    elif isinstance(node, Binary):
        yield from _keys(node.left)
        yield from _keys(node.right)
    elif isinstance(node, Call):
        for argument in node.arguments:
            yield from _keys(argument)


# --- checks across formulas -----------------------------------------------------------------------


def check_keys(formula: Formula, known: Iterable[str]) -> None:
    unknown = sorted(formula.keys - set(known))
    if unknown:
        raise FormulaError(f"Unknown metric keys in {formula.text!r}: {', '.join(unknown)}.")


def find_cycle(dependencies: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in ``key -> keys it is computed from``, as ``[a, b, ..., a]``; None if acyclic."""
    state: dict[str, str] = {}  # "visiting" or "done"
    path: list[str] = []

    def visit(key):
        state[key] = "visiting"
        path.append(key)
        for needed in dependencies.get(key, ()):
            if state.get(needed) == "visiting":
                return [*path[path.index(needed) :], needed]
            if needed not in state:
                cycle = visit(needed)
                if cycle:
                    return cycle
        path.pop()
        state[key] = "done"
        return None

    for key in dependencies:
        if key not in state:
            cycle = visit(key)
            if cycle:
                return cycle
    return None
