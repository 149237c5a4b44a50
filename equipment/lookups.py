"""`field__any_of=[...]`: membership in a long list, cheaply.

On PostgreSQL the list travels as one array parameter (`= ANY(%s)`): a thousand-item
`IN (%s, ...)` costs more to build and parse on the client than the query itself takes.
Elsewhere it is a plain IN.
"""

from django.db.models import Field, Lookup


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]
