"""The baseline of bench/api: the same two queries served by the classic Python
stack, Flask + psycopg2 behind gunicorn. Run by bench/api/main.go."""
import os
from decimal import Decimal

import psycopg2
import psycopg2.pool
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
pool = psycopg2.pool.ThreadedConnectionPool(1, 8, os.environ["BENCH_DSN"])
COLUMNS = ("id", "customer_id", "status", "amount", "created_at")


def as_json(row):
    out = {}
    for name, v in zip(COLUMNS, row):
        if isinstance(v, Decimal):
            v = float(v)
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        out[name] = v
    return out


def query(sql, args):
    conn = pool.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.rollback()
        pool.putconn(conn)


@app.get("/orders/<int:order_id>")
def one(order_id):
    rows = query("SELECT id, customer_id, status, amount, created_at FROM bench_orders WHERE id = %s", (order_id,))
    if not rows:
        abort(404)
    return jsonify(as_json(rows[0]))


@app.get("/orders")
def page():
    status = request.args.get("status", "")
    above = Decimal(request.args.get("amount_gt", "0"))
    rows = query(
        "SELECT id, customer_id, status, amount, created_at FROM bench_orders"
        " WHERE status = %s AND amount > %s ORDER BY id LIMIT 100",
        (status, above),
    )
    return jsonify({"data": [as_json(r) for r in rows]})
