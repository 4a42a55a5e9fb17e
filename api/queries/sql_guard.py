"""What a SQL query may do, checked on its syntax tree (sqlglot, ClickHouse dialect), and the project filter.

Allowed: one SELECT (or UNION of SELECTs) over the tables in ALLOWED_TABLES, by bare name. Refused: other
tables or views, any database qualifier (``system.…``), table functions, functions that read outside the
query (dictionaries, Join tables), ``IN <name>`` (ClickHouse reads the table of that name), SETTINGS,
FORMAT, FINAL, SAMPLE, query parameters, and anything but SELECT. Each allowed
table is then replaced by a subquery of the caller's project's rows, under the same name or alias, so
whatever the query says about ``project_id`` it sees no other project.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from api.errors import APIError

# The one allow-list: the tables a project's SQL may read, each holding a project_id column. The dbt
# models' tables join it when they exist.
ALLOWED_TABLES = frozenset({"events", "persons"})
# Functions that read data outside the tables the query names.
REFUSED_FUNCTION_PREFIXES = ("dictget", "dicthas", "dictisin", "joinget", "getmacro", "file")
# The functional forms of IN, which take a table name as their second argument.
IN_FUNCTIONS = frozenset(
    f"{scope}{negation}{nulls}in" for scope in ("", "global") for negation in ("", "not") for nulls in ("", "null")
)
DIALECT = "clickhouse"


def refuse(message: str) -> APIError:
    return APIError(400, f"sql: {message}", field="sql")


def parse(sql: str) -> exp.Expression:
    try:
        statements = [statement for statement in sqlglot.parse(sql, read=DIALECT) if statement is not None]
    except SqlglotError as error:
        raise refuse(f"cannot parse it: {str(error).splitlines()[0]}") from None
    except RecursionError:  # nesting deeper than the parser goes
        raise refuse("cannot parse it: nested too deeply") from None
    if len(statements) != 1:
        raise refuse(f"one statement only, not {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union):
        raise refuse(f"only SELECT is allowed, not {tree.key.upper()}")
    return tree


def _check_node(node: exp.Expression, ctes: set[str]) -> None:
    if isinstance(node, exp.Select) and (node.args.get("settings") or node.args.get("format")):
        raise refuse("SETTINGS and FORMAT are not allowed (limits are set by the API)")
    if isinstance(node, exp.Final | exp.TableSample):
        raise refuse("FINAL and SAMPLE are not allowed")
    if isinstance(node, exp.Placeholder | exp.Parameter):
        raise refuse("query parameters are not allowed")
    if isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Create | exp.Drop | exp.Alter | exp.Command):
        raise refuse(f"only SELECT is allowed, not {node.key.upper()}")
    if isinstance(node, exp.Func) and (
        node.name.lower().startswith(REFUSED_FUNCTION_PREFIXES) or node.name.lower() in IN_FUNCTIONS
    ):
        raise refuse(f"function {node.name} is not allowed")
    if isinstance(node, exp.In) and _reads_a_table(node):
        raise refuse(
            "IN followed by a name is not allowed (ClickHouse reads the table of that name); "
            "write IN (SELECT …) or IN (value, …)"
        )
    if isinstance(node, exp.Table):
        _check_table(node, ctes)


def _reads_a_table(node: exp.In) -> bool:
    """``x IN t`` and ``x IN (t)``: ClickHouse reads a table (or a WITH name) called t, not a column."""
    listed = node.expressions
    return node.args.get("field") is not None or (len(listed) == 1 and isinstance(listed[0], exp.Column))


def _check_table(table: exp.Table, ctes: set[str]) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise refuse("table functions are not allowed; read from " + ", ".join(sorted(ALLOWED_TABLES)))
    if table.args.get("db") or table.args.get("catalog"):
        raise refuse(f"table {table.sql(dialect=DIALECT)} is not allowed: name tables without a database")
    if table.name not in ALLOWED_TABLES and table.name not in ctes:
        raise refuse(f"table {table.name} is not allowed; allowed: " + ", ".join(sorted(ALLOWED_TABLES)))


def _table_ctes(tree: exp.Expression) -> set[str]:
    """The names a FROM may use besides the allowed tables: the query CTEs of the statement's own WITH.

    A nested WITH names a CTE only inside its subquery, and `WITH <expression> AS name` names a value, not a
    table: in both cases ClickHouse reads a real table of that name wherever the CTE does not reach. So
    query CTEs are accepted at the top only, and scalar ones never count as tables.
    """
    names = set()
    for cte in tree.find_all(exp.CTE):
        if cte.args.get("scalar"):
            continue
        if cte.parent is None or cte.parent.parent is not tree:
            raise refuse("WITH name AS (SELECT …) is allowed only at the top of the query")
        names.add(cte.alias_or_name)
    return names


def _project_rows(table: exp.Table, project_id: int) -> exp.Expression:
    """``events AS e`` → ``(SELECT * FROM events WHERE project_id = <project>) AS e``."""
    inner = (
        exp.select("*")
        .from_(exp.table_(table.name))
        .where(exp.EQ(this=exp.column("project_id"), expression=exp.Literal.number(int(project_id))))
    )
    return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(table.alias_or_name)))


def restrict(sql: str, project_id: int) -> str:
    """The query, checked and rewritten to read the project's rows only; a 400 naming the problem if refused."""
    tree = parse(sql)
    ctes = _table_ctes(tree)
    if ctes & ALLOWED_TABLES:
        raise refuse("a WITH name may not shadow a table: " + ", ".join(sorted(ctes & ALLOWED_TABLES)))
    for node in tree.walk():
        _check_node(node, ctes)
    tables = [table for table in tree.find_all(exp.Table) if table.name in ALLOWED_TABLES]
    for table in tables:
        table.replace(_project_rows(table, project_id))
    return tree.sql(dialect=DIALECT)
