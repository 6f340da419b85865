"""Result tables: named columns, as the CLI's TSV files have them."""

import numpy as np


class Table:
    """Rows of results with named columns, as the CLI writes them to TSV.

    table["r"] is a column (numbers as a float64 or int64 array, text as a
    list, None for n/a); len(table) the number of rows; table.rows() the
    rows as dicts; table.to_pandas() a DataFrame when pandas is installed.
    """

    def __init__(self, columns, order=None):
        self.columns = list(order or columns)
        self._data = {}
        for name in self.columns:
            v = columns[name]
            if v and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool)
                         for x in v):
                self._data[name] = np.array(v, dtype=np.int64)
            elif v and all(isinstance(x, (float, int, np.floating)) for x in v):
                self._data[name] = np.array(v, dtype=np.float64)
            else:
                self._data[name] = list(v)
        lens = {len(v) for v in self._data.values()}
        self._n = lens.pop() if lens else 0

    def __len__(self):
        return self._n

    def __getitem__(self, name):
        return self._data[name]

    def __contains__(self, name):
        return name in self._data

    def __iter__(self):
        return iter(self.rows())

    def rows(self):
        return [{c: self._data[c][i] for c in self.columns} for i in range(self._n)]

    def where(self, **conds):
        """The rows whose columns equal the given values, as a Table."""
        idx = [i for i in range(self._n)
               if all(self._data[k][i] == v for k, v in conds.items())]
        return Table({c: [self._data[c][i] for i in idx] for c in self.columns}, self.columns)

    def to_pandas(self):
        import pandas as pd
        return pd.DataFrame({c: self._data[c] for c in self.columns})

    def __repr__(self):
        return "<bract.Table: %d rows; columns %s>" % (self._n, ", ".join(self.columns))
