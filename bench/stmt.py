#!/usr/bin/env python3
# Prints the SQL of a statement the module prepares, as its C source spells
# it (ngx_http_north_pg_stmt[_rows|_raw]("NAME", "..." "...", nparams,
# ncols)), with $1..$n as pgbench's :p1..:pn: a pgbench run of exactly what
# a handler sends. Usage: bench/stmt.py NAME
import ast, pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
name = sys.argv[1]
call = re.compile(r'ngx_http_north_pg_stmt(?:_rows|_raw)?\(\s*"'
                  + re.escape(name) + r'"\s*,((?:\s*"(?:[^"\\]|\\.)*")+)\s*,', re.S)
for src in sorted(root.glob('handlers/**/*.c')) + sorted(root.glob('ngx_north_module/*.c')):
    m = call.search(src.read_text())
    if m:
        sql = ''.join(ast.literal_eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1)))
        print(re.sub(r'\$(\d+)', r':p\1', sql) + ';')
        sys.exit(0)
sys.exit('bench/stmt.py: no statement named ' + name)
