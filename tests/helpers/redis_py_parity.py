#!/usr/bin/python3
"""A scripted redis-py session for parity tests (tests/atlasd_client_parity_test.ts).

Usage: /usr/bin/python3 redis_py_parity.py PORT

Runs the same broad session against one server and prints one JSON line per step:
{"step": name, "result": value} or {"step": name, "error": [exception class, message]}.
Values that legitimately differ between two servers (ids, run_id, timestamps, memory sizes,
ports, client addr/fd/age, the server version) are normalised here before printing; anything
else is printed as redis-py returned it. Floats are printed as "f:<repr>" so that a score of
2.0 never compares equal to an integer 2 or to the string "2".
"""

import json
import sys
import threading
import time

import redis
from redis.lock import Lock

PORT = int(sys.argv[1])


def norm(v):
    """JSON-able form that keeps Python types apart (bytes, floats, tuples, sets)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float):
        return "f:" + repr(v)
    if isinstance(v, int):
        return v
    if isinstance(v, bytes):
        return "b:" + v.decode("latin1")
    if isinstance(v, str):
        return v
    if isinstance(v, (set, frozenset)):
        return {"set": sorted((norm(x) for x in v), key=json.dumps)}
    if isinstance(v, tuple):
        return {"tuple": [norm(x) for x in v]}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {"dict": [[norm(k), norm(x)] for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))]}
    if isinstance(v, Exception):
        return {"exception": [type(v).__name__, str(v)]}
    return {"other": [type(v).__name__, repr(v)]}


def step(name, fn):
    try:
        res = fn()
    except Exception as e:  # noqa: BLE001 - every exception is part of the result
        line = {"step": name, "error": [type(e).__name__, str(e)]}
    else:
        line = {"step": name, "result": norm(res)}
    print(json.dumps(line, sort_keys=True), flush=True)


def kind(v):
    """Shape only: for values that are random or server-specific."""
    if v is None:
        return None
    return type(v).__name__


r = redis.Redis(host="127.0.0.1", port=PORT, decode_responses=True)
rb = redis.Redis(host="127.0.0.1", port=PORT)  # bytes client for dump/restore
other = redis.Redis(host="127.0.0.1", port=PORT, decode_responses=True)

step("flushall", lambda: r.flushall())
step("ping", lambda: r.ping())
step("echo", lambda: r.echo("hi"))

# --- strings ---------------------------------------------------------------------------------
step("set", lambda: r.set("s", "v"))
step("set_ex", lambda: r.set("s", "v1", ex=100))
step("ttl_after_set_ex", lambda: r.ttl("s"))
step("set_px", lambda: r.set("s", "v2", px=100000))
step("pttl_after_set_px_in_range", lambda: 99000 < r.pttl("s") <= 100000)
step("set_nx_existing", lambda: r.set("s", "x", nx=True))
step("set_nx_new", lambda: r.set("s_nx", "x", nx=True))
step("set_xx_missing", lambda: r.set("s_missing", "x", xx=True))
step("set_xx_existing", lambda: r.set("s_nx", "y", xx=True))
step("set_keepttl", lambda: r.set("s", "v3", keepttl=True))
step("ttl_after_keepttl", lambda: r.ttl("s"))
step("set_get", lambda: r.set("s", "v4", get=True))
step("set_get_missing", lambda: r.set("s_get_missing", "v", get=True))
step("set_ex_and_px", lambda: r.set("s", "v", ex=1, px=1000))
step("set_ex_zero", lambda: r.set("s", "v", ex=0))
step("getex_ex", lambda: r.getex("s", ex=50))
step("ttl_after_getex", lambda: r.ttl("s"))
step("getex_persist", lambda: r.getex("s", persist=True))
step("ttl_after_persist", lambda: r.ttl("s"))
step("getex_missing", lambda: r.getex("nokey", ex=5))
step("getdel", lambda: r.getdel("s_nx"))
step("getdel_missing", lambda: r.getdel("s_nx"))
step("incrbyfloat", lambda: r.incrbyfloat("fl", 1.5))
step("incrbyfloat_again", lambda: r.incrbyfloat("fl", 0.1))
step("incrbyfloat_neg", lambda: r.incrbyfloat("fl", -5))
step("incrbyfloat_exp", lambda: r.incrbyfloat("fl", "5.0e3"))
step("get_float", lambda: r.get("fl"))
step("incr", lambda: r.incr("n"))
step("incrby", lambda: r.incrby("n", 41))
step("decrby", lambda: r.decrby("n", 2))
step("mset", lambda: r.mset({"m1": "a", "m2": "b", "m3": "c"}))
step("msetnx", lambda: r.msetnx({"m1": "z", "m9": "z"}))
step("mget", lambda: r.mget("m1", "m2", "nokey", "m3"))
step("setrange", lambda: r.setrange("sr", 5, "hello"))
step("get_setrange", lambda: r.get("sr"))
step("getrange", lambda: r.getrange("sr", 4, -2))
step("getrange_oob", lambda: r.getrange("sr", 100, 200))
step("append", lambda: r.append("ap", "abc"))
step("append2", lambda: r.append("ap", "def"))
step("strlen", lambda: r.strlen("ap"))
step("strlen_missing", lambda: r.strlen("nokey"))
step("setnx", lambda: r.setnx("ap", "x"))
step("setex", lambda: r.setex("se", 100, "v"))
step("psetex", lambda: r.psetex("pse", 100000, "v"))
step("lcs", lambda: r.execute_command("LCS", "m1", "ap"))

# --- keys ------------------------------------------------------------------------------------
step("expire_set", lambda: r.set("e", "v"))
step("expire", lambda: r.expire("e", 100))
step("expire_nx", lambda: r.expire("e", 100, nx=True))
step("expire_xx", lambda: r.expire("e", 200, xx=True))
step("expire_gt_smaller", lambda: r.expire("e", 50, gt=True))
step("expire_gt", lambda: r.expire("e", 300, gt=True))
step("expire_lt_bigger", lambda: r.expire("e", 400, lt=True))
step("expire_lt", lambda: r.expire("e", 150, lt=True))
step("ttl", lambda: r.ttl("e"))
step("pexpire", lambda: r.pexpire("e", 120000))
step("pttl_in_range", lambda: 119000 < r.pttl("e") <= 120000)
step("expireat", lambda: r.expireat("e", 4000000000))
step("expiretime", lambda: r.execute_command("EXPIRETIME", "e"))
step("pexpireat", lambda: r.pexpireat("e", 4000000000000))
step("pexpiretime", lambda: r.execute_command("PEXPIRETIME", "e"))
step("persist", lambda: r.persist("e"))
step("persist_again", lambda: r.persist("e"))
step("ttl_none", lambda: r.ttl("e"))
step("ttl_missing", lambda: r.ttl("nokey"))
step("pttl_missing", lambda: r.pttl("nokey"))
step("expire_missing", lambda: r.expire("nokey", 10))
step("type_string", lambda: r.type("e"))
step("type_none", lambda: r.type("nokey"))
step("rename", lambda: r.rename("e", "e2"))
step("rename_missing", lambda: r.rename("nokey", "e3"))
step("renamenx", lambda: r.renamenx("e2", "m1"))
step("exists", lambda: r.exists("e2", "m1", "nokey", "e2"))
step("touch", lambda: r.touch("e2", "nokey"))
step("delete", lambda: r.delete("e2", "nokey"))
step("unlink", lambda: r.unlink("m9", "nokey"))
step("keys_pattern", lambda: sorted(r.keys("m*")))
step("scan_iter_match", lambda: sorted(r.scan_iter(match="m*", count=2)))
step("scan_iter_all", lambda: sorted(r.scan_iter(count=1000)))
step("scan_iter_type", lambda: sorted(r.scan_iter(_type="string", count=3)))
step("scan_iter_type_none", lambda: sorted(r.scan_iter(_type="hash")))
step("scan_first_page_kind", lambda: [kind(x) for x in r.scan(0, count=1000)])
step("randomkey_is_a_key", lambda: r.randomkey() in set(r.keys("*")))
step("dbsize", lambda: r.dbsize())
step("dump_restore", lambda: rb.restore("restored", 0, rb.dump("m1")))
step("restored_get", lambda: r.get("restored"))
step("restore_busy", lambda: rb.restore("restored", 0, rb.dump("m1")))
step("restore_replace_ttl", lambda: rb.restore("restored", 100000, rb.dump("m2"), replace=True))
step("restored_ttl", lambda: r.ttl("restored"))
step("restore_bad_payload", lambda: rb.restore("bad", 0, b"not a payload"))
step("dump_missing", lambda: rb.dump("nokey"))
step("object_encoding_embstr", lambda: r.object("encoding", "m1"))
step("object_encoding_int", lambda: r.object("encoding", "n"))
step("object_encoding_raw", lambda: (r.set("raw", "x" * 100), r.object("encoding", "raw"))[1])
step("object_encoding_missing", lambda: r.object("encoding", "nokey"))
step("object_refcount", lambda: r.object("refcount", "m1"))
step("memory_usage_kind", lambda: kind(r.memory_usage("m1")))
step("memory_usage_positive", lambda: r.memory_usage("m1") > 0)
step("memory_usage_missing", lambda: r.memory_usage("nokey"))
step("copy", lambda: r.copy("m1", "m1copy"))
step("copy_exists", lambda: r.copy("m1", "m1copy"))

# --- hashes ----------------------------------------------------------------------------------
step("hset_mapping", lambda: r.hset("h", mapping={"a": "1", "b": "2", "c": "3"}))
step("hset_kv_and_mapping", lambda: r.hset("h", "d", "4", mapping={"a": "10"}))
step("hgetall", lambda: r.hgetall("h"))
step("hgetall_missing", lambda: r.hgetall("nokey"))
step("hget", lambda: r.hget("h", "a"))
step("hmget", lambda: r.hmget("h", ["a", "zz", "b"]))
step("hincrby", lambda: r.hincrby("h", "b", 5))
step("hincrbyfloat", lambda: r.hincrbyfloat("h", "f", 2.5))
step("hincrbyfloat_again", lambda: r.hincrbyfloat("h", "f", -0.25))
step("hincrbyfloat_not_float", lambda: r.hincrbyfloat("h", "nonum", 1) and r.hset("h", "s", "x") and r.hincrbyfloat("h", "s", 1))
step("hlen", lambda: r.hlen("h"))
step("hkeys", lambda: sorted(r.hkeys("h")))
step("hvals", lambda: sorted(r.hvals("h")))
step("hexists", lambda: [r.hexists("h", "a"), r.hexists("h", "zz")])
step("hsetnx", lambda: [r.hsetnx("h", "a", "x"), r.hsetnx("h", "new", "x")])
step("hstrlen", lambda: r.hstrlen("h", "a"))
step("hdel", lambda: r.hdel("h", "new", "zz"))
step("hscan_iter", lambda: sorted(r.hscan_iter("h", count=2)))
step("hscan_iter_match", lambda: sorted(r.hscan_iter("h", match="a*")))
step("hrandfield_one_is_field", lambda: r.hrandfield("h") in r.hkeys("h"))
# One sample, checked for what a positive count promises: distinct fields, that many of them.
step("hrandfield_count", lambda: (lambda res: (len(res), len(set(res)) == len(res)))(r.hrandfield("h", 3)))
step("hrandfield_count_all", lambda: sorted(r.hrandfield("h", 100)))
step("hrandfield_neg_len", lambda: len(r.hrandfield("h", -10)))
step("hrandfield_withvalues", lambda: (lambda res: (len(res), all(r.hget("h", res[i]) == res[i + 1] for i in range(0, len(res), 2))))(r.hrandfield("h", 2, withvalues=True)))
step("hrandfield_missing", lambda: r.hrandfield("nokey"))
step("hrandfield_missing_count", lambda: r.hrandfield("nokey", 2))

# --- lists -----------------------------------------------------------------------------------
step("lpush", lambda: r.lpush("l", "c", "b", "a"))
step("rpush", lambda: r.rpush("l", "d", "e", "a"))
step("lrange", lambda: r.lrange("l", 0, -1))
step("lrange_part", lambda: r.lrange("l", 1, 3))
step("lpos", lambda: r.lpos("l", "a"))
step("lpos_rank", lambda: r.lpos("l", "a", rank=2))
step("lpos_rank_neg", lambda: r.lpos("l", "a", rank=-1))
step("lpos_count", lambda: r.lpos("l", "a", count=0))
step("lpos_maxlen", lambda: r.lpos("l", "e", maxlen=2))
step("lpos_missing", lambda: r.lpos("l", "zz"))
step("lpos_rank_zero", lambda: r.lpos("l", "a", rank=0))
step("linsert_before", lambda: r.linsert("l", "before", "c", "bc"))
step("linsert_after", lambda: r.linsert("l", "AFTER", "e", "ef"))
step("linsert_nopivot", lambda: r.linsert("l", "AFTER", "zz", "x"))
step("lindex", lambda: [r.lindex("l", 0), r.lindex("l", -1), r.lindex("l", 99)])
step("lset", lambda: r.lset("l", 0, "A"))
step("lrem", lambda: r.lrem("l", 1, "a"))
step("ltrim", lambda: r.ltrim("l", 0, 5))
step("llen", lambda: r.llen("l"))
step("lmove", lambda: r.lmove("l", "l2", "LEFT", "RIGHT"))
step("lmove_same", lambda: r.lmove("l", "l", "RIGHT", "LEFT"))
step("lrange_after_moves", lambda: [r.lrange("l", 0, -1), r.lrange("l2", 0, -1)])
step("lpop_count", lambda: r.lpop("l", 2))
step("rpop", lambda: r.rpop("l"))
step("blpop_empty_timeout", lambda: r.blpop(["emptylist"], timeout=0.1))
step("blpop_nonempty", lambda: r.blpop(["emptylist", "l2"], timeout=1))
step("brpop_nonempty", lambda: (r.rpush("bl", "x", "y"), r.brpop("bl", timeout=1))[1])
step("blmove_nonempty", lambda: r.blmove("bl", "bl2", 1, "LEFT", "LEFT"))
step("lpush_wrongtype", lambda: r.lpush("m1", "x"))

# --- sets ------------------------------------------------------------------------------------
step("sadd", lambda: r.sadd("s1", "a", "b", "c", "d"))
step("sadd2", lambda: r.sadd("s2", "c", "d", "e"))
step("sadd_int", lambda: r.sadd("si", 3, 1, 2))
step("smembers", lambda: r.smembers("s1"))
step("smembers_missing", lambda: r.smembers("nokey"))
step("sismember", lambda: [r.sismember("s1", "a"), r.sismember("s1", "z")])
step("smismember", lambda: r.smismember("s1", ["a", "z", "d"]))
step("sinter", lambda: r.sinter("s1", "s2"))
step("sunion", lambda: r.sunion("s1", "s2"))
step("sdiff", lambda: r.sdiff("s1", "s2"))
step("sinterstore", lambda: r.sinterstore("s3", ["s1", "s2"]))
step("sunionstore", lambda: r.sunionstore("s4", ["s1", "s2"]))
step("sdiffstore", lambda: r.sdiffstore("s5", ["s1", "s2"]))
step("sintercard", lambda: r.sintercard(2, ["s1", "s2"]))
step("stored_sets", lambda: [r.smembers("s3"), r.smembers("s4"), r.smembers("s5")])
step("scard", lambda: r.scard("s4"))
step("srandmember_one", lambda: r.srandmember("s1") in r.smembers("s1"))
step("srandmember_count", lambda: (lambda res: (len(res), len(set(res)), set(res) <= r.smembers("s1")))(r.srandmember("s1", 3)))
step("srandmember_neg", lambda: (lambda res: (len(res), set(res) <= r.smembers("s1")))(r.srandmember("s1", -7)))
step("srandmember_all", lambda: sorted(r.srandmember("s1", 10)))
step("spop_count", lambda: (lambda res: (len(res), sorted(res + list(r.smembers("s4"))) == ["a", "b", "c", "d", "e"]))(r.spop("s4", 2)))
step("spop_count_zero", lambda: r.spop("s4", 0))
step("spop_missing", lambda: r.spop("nokey"))
step("smove", lambda: r.smove("s1", "s2", "a"))
step("srem", lambda: r.srem("s1", "b", "zz"))
step("sscan_iter", lambda: sorted(r.sscan_iter("s2", count=1)))
step("sscan_iter_match", lambda: sorted(r.sscan_iter("s2", match="[ae]")))
step("object_encoding_intset", lambda: r.object("encoding", "si"))
step("object_encoding_listpack_set", lambda: r.object("encoding", "s1"))

# --- sorted sets -----------------------------------------------------------------------------
step("zadd", lambda: r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4.5}))
step("zadd_nx", lambda: r.zadd("z", {"a": 10, "e": 5}, nx=True))
step("zadd_xx_ch", lambda: r.zadd("z", {"a": 1.5, "zz": 1}, xx=True, ch=True))
step("zadd_gt_ch", lambda: r.zadd("z", {"a": 0.5, "b": 2.5}, gt=True, ch=True))
step("zadd_lt_ch", lambda: r.zadd("z", {"c": 10, "d": 4}, lt=True, ch=True))
step("zadd_incr", lambda: r.zadd("z", {"e": 0.25}, incr=True))
step("zadd_incr_nx_existing", lambda: r.zadd("z", {"e": 1}, incr=True, nx=True))
step("zadd_nx_xx", lambda: r.zadd("z", {"e": 1}, nx=True, xx=True))
step("zadd_inf", lambda: r.zadd("zinf", {"lo": "-inf", "hi": "+inf", "mid": 0}))
step("zrange_inf_withscores", lambda: r.zrange("zinf", 0, -1, withscores=True))
step("zrange", lambda: r.zrange("z", 0, -1))
step("zrange_withscores", lambda: r.zrange("z", 0, -1, withscores=True))
step("zrange_withscores_raw_scores", lambda: r.zrange("z", 0, -1, withscores=True, score_cast_func=str))
step("zrange_desc", lambda: r.zrange("z", 0, 1, desc=True, withscores=True))
step("zrange_byscore", lambda: r.zrange("z", 2, "(5", byscore=True, withscores=True))
step("zrange_byscore_offset", lambda: r.zrange("z", "-inf", "+inf", byscore=True, offset=1, num=2))
step("zrange_byscore_rev", lambda: r.zrange("z", "+inf", 2, byscore=True, desc=True))
step("zrange_bylex", lambda: (r.zadd("zl", {"a": 0, "b": 0, "c": 0, "d": 0}), r.zrange("zl", "[b", "+", bylex=True))[1])
step("zrange_bylex_rev_offset", lambda: r.zrange("zl", "+", "-", bylex=True, desc=True, offset=1, num=2))
step("zrange_bylex_bad", lambda: r.zrange("zl", "b", "+", bylex=True))
step("zrangebyscore", lambda: r.zrangebyscore("z", "(1.5", 5, withscores=True))
step("zrangebyscore_limit", lambda: r.zrangebyscore("z", "-inf", "+inf", start=1, num=2))
step("zrevrangebyscore", lambda: r.zrevrangebyscore("z", 5, 2, withscores=True))
step("zrangebylex", lambda: r.zrangebylex("zl", "-", "(c"))
step("zrangestore", lambda: r.zrangestore("zs", "z", 0, 1))
step("zrank", lambda: [r.zrank("z", "b"), r.zrank("z", "nope")])
step("zrevrank", lambda: r.zrevrank("z", "b"))
step("zscore", lambda: [r.zscore("z", "b"), r.zscore("z", "e"), r.zscore("z", "nope")])
step("zmscore", lambda: r.zmscore("z", ["a", "nope", "d"]))
step("zincrby", lambda: r.zincrby("z", 0.1, "a"))
step("zscore_after_zincrby", lambda: r.zscore("z", "a"))
step("zcard_zcount", lambda: [r.zcard("z"), r.zcount("z", 2, "+inf"), r.zlexcount("zl", "-", "+")])
step("zpopmin", lambda: r.zpopmin("z"))
step("zpopmin_count", lambda: r.zpopmin("z", 2))
step("zpopmax", lambda: r.zpopmax("z"))
step("bzpopmin", lambda: r.bzpopmin(["z"], timeout=1))
step("bzpopmin_empty", lambda: r.bzpopmin(["nozset"], timeout=0.1))
step("zadd_more", lambda: (r.zadd("za", {"x": 1, "y": 2}), r.zadd("zb", {"y": 3, "w": 4}))[1])
step("zunionstore_weights", lambda: r.zunionstore("zu", {"za": 2, "zb": 0.5}))
step("zunionstore_result", lambda: r.zrange("zu", 0, -1, withscores=True))
step("zunionstore_max", lambda: r.zunionstore("zu2", ["za", "zb"], aggregate="MAX"))
step("zinterstore", lambda: r.zinterstore("zi", ["za", "zb"]))
step("zunion_withscores", lambda: r.zunion(["za", "zb"], withscores=True))
step("zinter_withscores", lambda: r.zinter(["za", "zb"], withscores=True))
step("zdiff", lambda: r.zdiff(["za", "zb"], withscores=True))
step("zrandmember", lambda: sorted(r.zrandmember("za", 5)))
step("zrandmember_withscores", lambda: len(r.zrandmember("za", -3, withscores=True)))
step("zscan_iter", lambda: sorted(r.zscan_iter("zu", count=1)))
step("zscan_iter_match", lambda: list(r.zscan_iter("zu", match="x")))
step("zrem", lambda: r.zrem("zu", "x", "nope"))
step("zremrangebyscore", lambda: r.zremrangebyscore("zinf", "-inf", 0))
step("object_encoding_zset", lambda: r.object("encoding", "za"))

# --- streams ---------------------------------------------------------------------------------
for i in range(1, 6):
    step(f"xadd_{i}", lambda i=i: r.xadd("st", {"n": str(i), "k": "v"}, id=f"1-{i}"))
step("xadd_auto_id_kind", lambda: kind(r.xadd("st", {"n": "auto"})))
step("xadd_maxlen_approx", lambda: r.xadd("st", {"n": "7"}, id="99999999999999-0", maxlen=3, approximate=True))
step("xlen_after_approx", lambda: r.xlen("st"))
step("xadd_maxlen_exact", lambda: r.xadd("st", {"n": "8"}, id="99999999999999-1", maxlen=4, approximate=False))
step("xlen_after_exact", lambda: r.xlen("st"))
step("xadd_small_id", lambda: r.xadd("st", {"n": "x"}, id="1-1"))
step("xrange_after_trim_ids", lambda: [e[0] for e in r.xrange("st")][-2:])
step("xadd_stream2", lambda: [r.xadd("st2", {"f": str(i)}, id=f"{i}-0") for i in range(1, 6)])
step("xrange", lambda: r.xrange("st2"))
step("xrange_count", lambda: r.xrange("st2", "2", "+", count=2))
step("xrange_exclusive", lambda: r.xrange("st2", "(2-0", "(4-0"))
step("xrevrange", lambda: r.xrevrange("st2", "+", "-", count=2))
step("xread", lambda: r.xread({"st2": "3-0"}))
step("xread_count", lambda: r.xread({"st2": "0", "st": "99999999999999-0"}, count=1))
step("xread_block_short_empty", lambda: r.xread({"st2": "$"}, block=100))
step("xread_block_nonempty", lambda: r.xread({"st2": "4-0"}, block=100))
step("xgroup_create", lambda: r.xgroup_create("st2", "g1", id="0"))
step("xgroup_create_busy", lambda: r.xgroup_create("st2", "g1", id="0"))
step("xgroup_create_mkstream", lambda: r.xgroup_create("st3", "g1", id="$", mkstream=True))
step("xgroup_create_nostream", lambda: r.xgroup_create("nostream", "g1"))
step("xreadgroup", lambda: r.xreadgroup("g1", "alice", {"st2": ">"}, count=2))
step("xreadgroup_bob", lambda: r.xreadgroup("g1", "bob", {"st2": ">"}, count=1))
step("xreadgroup_history", lambda: r.xreadgroup("g1", "alice", {"st2": "0"}))
step("xreadgroup_block_empty", lambda: r.xreadgroup("g1", "alice", {"st3": ">"}, block=100))
step("xreadgroup_nogroup", lambda: r.xreadgroup("nog", "alice", {"st2": ">"}))
step("xack", lambda: r.xack("st2", "g1", "1-0", "9-0"))
step("xpending", lambda: r.xpending("st2", "g1"))
step("xpending_range", lambda: [
    {k: (v if k != "time_since_delivered" else kind(v)) for k, v in e.items()}
    for e in r.xpending_range("st2", "g1", "-", "+", 10)
])
step("xpending_range_consumer", lambda: [e["message_id"] for e in r.xpending_range("st2", "g1", "-", "+", 10, consumername="bob")])
step("xclaim", lambda: r.xclaim("st2", "g1", "carol", 0, ["2-0"]))
step("xclaim_justid", lambda: r.xclaim("st2", "g1", "carol", 0, ["3-0"], justid=True))
step("xautoclaim", lambda: r.xautoclaim("st2", "g1", "dave", 0, start_id="0-0", count=1))
step("xautoclaim_justid", lambda: r.xautoclaim("st2", "g1", "dave", 0, justid=True))
step("xinfo_stream", lambda: r.xinfo_stream("st2"))
step("xinfo_stream_trimmed", lambda: {k: v for k, v in r.xinfo_stream("st").items() if k != "last-generated-id" and k != "first-entry" and k != "recorded-first-entry-id"})
step("xinfo_groups", lambda: r.xinfo_groups("st2"))
step("xinfo_consumers", lambda: [
    {k: (v if k not in ("idle", "inactive") else kind(v)) for k, v in c.items()}
    for c in r.xinfo_consumers("st2", "g1")
])
step("xgroup_setid", lambda: r.xgroup_setid("st2", "g1", "0"))
step("xgroup_delconsumer", lambda: r.xgroup_delconsumer("st2", "g1", "dave"))
step("xdel", lambda: r.xdel("st2", "5-0", "77-0"))
step("xtrim", lambda: r.xtrim("st2", maxlen=2, approximate=False))
step("xtrim_minid", lambda: r.xtrim("st2", minid="4-0"))
step("xadd_bad_id", lambda: r.xadd("st2", {"f": "v"}, id="0-0"))
step("xgroup_destroy", lambda: r.xgroup_destroy("st2", "g1"))

# --- geo -------------------------------------------------------------------------------------
step("geoadd", lambda: r.geoadd("geo", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"]))
step("geoadd_more", lambda: r.geoadd("geo", [12.758489, 38.788135, "edge1", 17.241510, 38.788135, "edge2"]))
step("geoadd_xx_ch", lambda: r.geoadd("geo", [13.361389, 38.115557, "Palermo", 1, 1, "Nowhere"], xx=True, ch=True))
step("geodist", lambda: r.geodist("geo", "Palermo", "Catania"))
step("geodist_km", lambda: r.geodist("geo", "Palermo", "Catania", unit="km"))
step("geodist_missing", lambda: r.geodist("geo", "Palermo", "nowhere"))
step("geopos", lambda: r.geopos("geo", "Palermo", "nowhere"))
step("geohash", lambda: r.geohash("geo", "Palermo", "Catania"))
step("geosearch_radius", lambda: r.geosearch("geo", longitude=15, latitude=37, radius=200, unit="km", sort="ASC"))
step("geosearch_withall", lambda: r.geosearch("geo", member="Palermo", radius=200, unit="km", withdist=True, withcoord=True, withhash=True, sort="ASC"))
step("geosearch_box_count", lambda: r.geosearch("geo", longitude=15, latitude=37, width=400, height=400, unit="km", sort="DESC", count=2, withdist=True))
step("geosearchstore", lambda: r.geosearchstore("geo2", "geo", longitude=15, latitude=37, radius=200, unit="km", storedist=True))
step("geosearchstore_scores", lambda: r.zrange("geo2", 0, -1, withscores=True))
step("georadius", lambda: r.georadius("geo", 15, 37, 200, unit="km", withdist=True, sort="ASC"))
step("geosearch_missing_member", lambda: r.geosearch("geo", member="nobody", radius=10))

# --- hyperloglog -----------------------------------------------------------------------------
step("pfadd", lambda: r.pfadd("hll", "a", "b", "c", "d"))
step("pfadd_dup", lambda: r.pfadd("hll", "a"))
step("pfcount", lambda: r.pfcount("hll"))
step("pfadd2", lambda: r.pfadd("hll2", *[f"e{i}" for i in range(1000)]))
step("pfcount_union", lambda: r.pfcount("hll", "hll2"))
step("pfmerge", lambda: r.pfmerge("hll3", "hll", "hll2"))
step("pfcount_merged", lambda: r.pfcount("hll3"))
step("pfadd_wrongtype", lambda: r.pfadd("m1", "x"))

# --- bitmaps / bitfield ----------------------------------------------------------------------
step("setbit", lambda: [r.setbit("bits", 7, 1), r.setbit("bits", 7, 0), r.setbit("bits", 100, 1)])
step("getbit", lambda: [r.getbit("bits", 100), r.getbit("bits", 1000)])
step("bitcount", lambda: [r.bitcount("bits"), r.bitcount("ap", 0, 1)])
step("bitpos", lambda: r.bitpos("bits", 1))
step("bitop", lambda: r.bitop("OR", "bitsor", "bits", "ap"))
step("bitfield", lambda: r.bitfield("bf").set("u8", 0, 255).get("u8", 0).incrby("u4", 2, 10).get("i8", 0).execute())
step("bitfield_overflow_sat", lambda: r.bitfield("bf", default_overflow="SAT").incrby("u8", 0, 100).execute())
step("bitfield_overflow_fail", lambda: r.bitfield("bf").overflow("FAIL").incrby("u8", 0, 100).incrby("i8", "#1", -3).execute())
step("bitfield_ro", lambda: r.execute_command("BITFIELD_RO", "bf", "GET", "u8", 0, "GET", "u4", 4))
step("bitfield_bad_type", lambda: r.bitfield("bf").get("u64", 0).execute())

# --- sort ------------------------------------------------------------------------------------
step("sort_setup", lambda: r.rpush("sl", 3, 1, 2, 10))
step("sort", lambda: r.sort("sl"))
step("sort_desc_limit", lambda: r.sort("sl", desc=True, start=1, num=2))
step("sort_alpha", lambda: r.sort("sl", alpha=True))
step("sort_by_get", lambda: (r.mset({"w_1": "30", "w_2": "20", "w_3": "10", "w_10": "0", "o_1": "one", "o_3": "three"}), r.sort("sl", by="w_*", get=["#", "o_*"]))[1])
step("sort_groups", lambda: r.sort("sl", by="w_*", get=["#", "o_*"], groups=True))
step("sort_store", lambda: r.sort("sl", store="sorted"))
step("sort_stored", lambda: r.lrange("sorted", 0, -1))
step("sort_not_number", lambda: r.sort("s1"))
step("sort_ro", lambda: r.sort_ro("sl", desc=True))

# --- pipelines and transactions --------------------------------------------------------------
def pipe_plain():
    p = r.pipeline(transaction=False)
    p.set("p1", "1").incr("p1").get("p1").lpush("p1", "x").hset("ph", "a", "1").hgetall("ph")
    return p.execute(raise_on_error=False)


def pipe_tx():
    p = r.pipeline(transaction=True)
    p.set("t1", "1").incr("t1").zadd("tz", {"a": 1.5}).zrange("tz", 0, -1, withscores=True).get("t1")
    return p.execute()


def pipe_tx_runtime_error():
    p = r.pipeline(transaction=True)
    p.set("t2", "a").incr("t2").get("t2")
    return p.execute(raise_on_error=False)


def pipe_tx_runtime_error_raises():
    p = r.pipeline(transaction=True)
    p.set("t3", "a").incr("t3").get("t3")
    return p.execute()


def pipe_tx_queue_error():
    p = r.pipeline(transaction=True)
    p.set("t4", "a").execute_command("SET", "t4").get("t4")
    return p.execute()


step("pipeline_no_tx", pipe_plain)
step("pipeline_tx", pipe_tx)
step("pipeline_tx_runtime_error", pipe_tx_runtime_error)
step("pipeline_tx_runtime_error_raises", pipe_tx_runtime_error_raises)
step("pipeline_tx_queue_error", pipe_tx_queue_error)
step("pipeline_tx_queue_error_state", lambda: r.get("t4"))
step("pipeline_empty", lambda: r.pipeline().execute())


def watched_transaction():
    r.set("wk", "1")
    attempts = []

    def fn(pipe):
        attempts.append(1)
        value = int(pipe.get("wk"))
        if len(attempts) == 1:
            other.set("wk", "100")  # another client touches the watched key: EXEC must fail
        pipe.multi()
        pipe.set("wk", value + 1)
        pipe.get("wk")

    res = r.transaction(fn, "wk")
    return [res, len(attempts), r.get("wk")]


def watched_value_from_callable():
    def fn(pipe):
        v = pipe.get("wk")
        pipe.multi()
        pipe.incr("wk")
        return "saw " + v

    return r.transaction(fn, "wk", value_from_callable=True)


def watch_conflict_manual():
    with r.pipeline() as pipe:
        pipe.watch("wk2")
        other.set("wk2", "x")
        pipe.multi()
        pipe.set("wk2", "mine")
        try:
            return pipe.execute()
        except redis.WatchError as e:
            return ["WatchError", str(e), r.get("wk2")]


step("transaction_watch_retry", watched_transaction)
step("transaction_value_from_callable", watched_value_from_callable)
step("watch_conflict_manual", watch_conflict_manual)
step("multi_nested", lambda: r.execute_command("MULTI") and r.execute_command("MULTI"))
step("multi_discard", lambda: r.execute_command("DISCARD"))
step("exec_without_multi", lambda: r.execute_command("EXEC"))

# --- Lua -------------------------------------------------------------------------------------
LUA = """
local n = redis.call('incrby', KEYS[1], ARGV[1])
return {n, tostring(n), redis.call('get', KEYS[1]), 3.99, {1, 'x'}, true, false}
"""
script = r.register_script(LUA)
step("script_sha_matches", lambda: script.sha == r.script_load(LUA))
step("script_flush", lambda: r.script_flush())
step("script_exists_before", lambda: r.script_exists(script.sha))
step("script_noscript_fallback", lambda: script(keys=["lk1"], args=[5]))
step("script_exists_after", lambda: r.script_exists(script.sha, "0" * 40))
step("script_evalsha", lambda: script(keys=["lk1"], args=[2]))
step("evalsha_unknown", lambda: r.evalsha("0" * 40, 0))
step("eval_error_reply", lambda: r.eval("return redis.error_reply('MYERR custom')", 0))
step("eval_status_reply", lambda: r.eval("return redis.status_reply('FINE')", 0))
step("eval_pcall_wrongtype", lambda: r.eval("return redis.pcall('lpush', KEYS[1], 'x')", 1, "m1"))
step("eval_call_wrongtype", lambda: r.eval("return redis.call('lpush', KEYS[1], 'x')", 1, "m1"))
step("eval_runtime_error_kind", lambda: r.eval("return nil + 1", 0))
step("eval_nil_and_numbers", lambda: r.eval("return {1, nil, 3}", 0))
step("eval_float_truncated", lambda: r.eval("return 2.7", 0))
step("eval_table_with_err", lambda: r.eval("return {err='custom error'}", 0))
step("eval_ro", lambda: r.eval_ro("return redis.call('get', KEYS[1])", 1, "lk1"))
step("eval_ro_write", lambda: r.eval_ro("return redis.call('set', KEYS[1], 'x')", 1, "lk1"))
step("fcall_missing", lambda: r.fcall("nofunc", 0))

# --- redis.lock.Lock -------------------------------------------------------------------------
lock = Lock(r, "mylock", timeout=5)
lock2 = Lock(other, "mylock", timeout=5)
step("lock_acquire", lambda: lock.acquire(blocking=False))
step("lock_owned", lambda: lock.owned())
step("lock_locked", lambda: lock.locked())
step("lock2_acquire_fails", lambda: lock2.acquire(blocking=True, blocking_timeout=0.2))
step("lock_extend", lambda: lock.extend(5))
step("lock_ttl_extended", lambda: 9000 < r.pttl("mylock") <= 10000)
step("lock_extend_replace", lambda: lock.extend(3, replace_ttl=True))
step("lock_ttl_replaced", lambda: 2000 < r.pttl("mylock") <= 3000)
step("lock_reacquire", lambda: lock.reacquire())
step("lock_release", lambda: lock.release())
step("lock_release_again", lambda: lock.release())
step("lock2_acquire_after", lambda: lock2.acquire(blocking=False))
step("lock_extend_not_owned", lambda: (setattr(lock.local, "token", b"stolen"), lock.extend(1))[1])
step("lock2_release", lambda: lock2.release())


def lock_context():
    with r.lock("ctxlock", timeout=2, blocking_timeout=1) as lk:
        return [lk.owned(), r.exists("ctxlock")]


step("lock_context", lock_context)
step("lock_context_released", lambda: r.exists("ctxlock"))

# --- pub/sub ---------------------------------------------------------------------------------
def msg(m):
    return m


ps = r.pubsub()
step("subscribe", lambda: ps.subscribe("ch1", "ch2"))
step("get_message_sub1", lambda: ps.get_message(timeout=2))
step("get_message_sub2", lambda: ps.get_message(timeout=2))
step("psubscribe", lambda: ps.psubscribe("ch*"))
step("get_message_psub", lambda: ps.get_message(timeout=2))
step("publish", lambda: other.publish("ch1", "hello"))
step("get_message_msg1", lambda: ps.get_message(timeout=2))
step("get_message_msg2", lambda: ps.get_message(timeout=2))
step("get_message_none", lambda: ps.get_message(timeout=0.1))
step("pubsub_channels", lambda: sorted(other.pubsub_channels()))
step("pubsub_numsub", lambda: other.pubsub_numsub("ch1", "nochan"))
step("pubsub_numpat", lambda: other.pubsub_numpat())
step("unsubscribe_one", lambda: ps.unsubscribe("ch1"))
step("get_message_unsub1", lambda: ps.get_message(timeout=2))
step("publish_after_unsub", lambda: other.publish("ch1", "again"))
step("get_message_pmsg_only", lambda: ps.get_message(timeout=2))
step("unsubscribe_all", lambda: ps.unsubscribe())
step("get_message_unsub_all", lambda: ps.get_message(timeout=2))
step("punsubscribe_all", lambda: ps.punsubscribe())
step("get_message_punsub", lambda: ps.get_message(timeout=2))
step("get_message_after_all", lambda: ps.get_message(timeout=0.1))
step("pubsub_ping", lambda: (ps.subscribe("x"), ps.get_message(timeout=2), ps.ping(), ps.get_message(timeout=2))[3])
step("pubsub_command_in_subscribed", lambda: ps.execute_command("GET", "x") or ps.get_message(timeout=2))
ps.close()


def pubsub_handler():
    got = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(**{"hch": lambda m: got.append(m)})
    p.get_message(timeout=1)
    other.publish("hch", "via handler")
    for _ in range(20):
        p.get_message(timeout=0.1)
        if got:
            break
    p.close()
    return got


step("pubsub_handler", pubsub_handler)

# --- server ----------------------------------------------------------------------------------
INFO_SECTIONS = [
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
    "errorstats", "cluster", "keyspace",
]


def info_keys(section=None):
    info = r.info(section) if section else r.info()
    out = {}
    for k, v in info.items():
        # Per-database lines: compare which fields they have, not counts. A build id is hex
        # digits that may happen to parse as an int: its kind says nothing.
        out[k] = sorted(v.keys()) if isinstance(v, dict) else "id" if k == "redis_build_id" else kind(v)
    return out


for section in INFO_SECTIONS:
    step(f"info_{section}_keys", lambda section=section: info_keys(section))
step("info_default_parses_sections", lambda: sorted(k for k in r.info().keys() if k.startswith("db") or k in ("redis_version", "role", "used_memory", "connected_clients", "aof_enabled", "total_commands_processed")))
step("info_all_parses", lambda: len(r.info("all")) > 50)
step("info_commandstats_has_get", lambda: sorted(r.info("commandstats")["cmdstat_get"].keys()))
step("info_keyspace", lambda: {k: sorted(v.keys()) for k, v in r.info("keyspace").items()})
step("info_role", lambda: r.info("replication")["role"])
step("info_redis_version_kind", lambda: kind(r.info("server")["redis_version"]))

CLIENT_VOLATILE = {"id", "addr", "laddr", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem",
                   "obl", "oll", "omem", "tot-mem", "multi-mem", "events", "rbs", "rbp"}


def norm_client(c):
    return {k: (kind(v) if k in CLIENT_VOLATILE else v) for k, v in c.items()}


step("client_setname", lambda: r.client_setname("parity"))
step("client_getname", lambda: r.client_getname())
step("client_id_kind", lambda: kind(r.client_id()))
step("client_info", lambda: norm_client(r.client_info()))
step("client_list_self", lambda: [norm_client(c) for c in r.client_list() if c.get("name") == "parity"])
step("client_list_count", lambda: len(r.client_list()) >= 3)
step("client_list_type_pubsub", lambda: r.client_list(_type="pubsub"))
step("config_get_maxmemory", lambda: r.config_get("maxmemory*"))
step("config_set_get", lambda: [r.config_set("maxmemory-samples", 7), r.config_get("maxmemory-samples")])
step("config_get_unknown", lambda: r.config_get("no-such-param"))
step("config_set_unknown", lambda: r.config_set("no-such-param", "1"))
step("time", lambda: [kind(x) for x in r.time()])
step("lastsave_kind", lambda: kind(r.lastsave()))
step("dbsize", lambda: r.dbsize())
step("select_db1_dbsize", lambda: redis.Redis(host="127.0.0.1", port=PORT, db=1).dbsize())
step("swapdb_missing_db", lambda: r.swapdb(0, 99))
step("command_count", lambda: r.command_count())
step("command_info_get", lambda: r.execute_command("COMMAND", "INFO", "get"))
step("command_getkeys", lambda: r.command_getkeys("MSET", "a", "1", "b", "2"))
step("slowlog_config", lambda: r.config_set("slowlog-log-slower-than", 0))
step("slowlog_reset", lambda: r.slowlog_reset())
step("slowlog_probe", lambda: r.get("slowlog-probe"))
step("slowlog_get", lambda: [
    {k: (v if k in ("command",) else kind(v)) for k, v in e.items()} for e in r.slowlog_get(1)
])
step("slowlog_len_positive", lambda: r.slowlog_len() > 0)
step("slowlog_config_restore", lambda: r.config_set("slowlog-log-slower-than", 10000))
step("flushdb", lambda: r.flushdb())
step("dbsize_after_flush", lambda: r.dbsize())
step("flushdb_async", lambda: r.flushdb(asynchronous=True))

# --- errors ----------------------------------------------------------------------------------
r.set("str", "v")
step("err_wrongtype", lambda: r.hget("str", "f"))
step("err_wrongtype_incr", lambda: r.incr("str"))
step("err_syntax", lambda: r.execute_command("SET", "k", "v", "BOGUS"))
step("err_unknown_command", lambda: r.execute_command("NOSUCHCMD", "a", "b"))
step("err_unknown_subcommand", lambda: r.execute_command("CLIENT", "NOSUCH"))
step("err_wrong_arity", lambda: r.execute_command("GET"))
step("err_not_integer", lambda: r.execute_command("EXPIRE", "str", "abc"))
step("err_not_float", lambda: r.execute_command("INCRBYFLOAT", "str", "abc"))
step("err_out_of_range", lambda: r.execute_command("SETRANGE", "str", "-1", "x"))
step("err_zadd_not_float", lambda: r.execute_command("ZADD", "zz", "x", "m"))
step("err_hincrby_overflow", lambda: (r.hset("hh", "f", str(2 ** 62)), r.hincrby("hh", "f", 2 ** 62))[1])
step("err_bad_db", lambda: redis.Redis(host="127.0.0.1", port=PORT, db=100).ping())
step("err_auth_no_password", lambda: r.execute_command("AUTH", "x"))
step("err_readonly_replica_cmd", lambda: r.execute_command("READONLY"))

for c in (r, rb, other):
    c.close()
