-- wrk script of bench/httpload/load.py (`wrk_run`): one connection per thread, so each
-- thread's requests are strictly sequential and every response answers the request
-- before it.
--
--   wrk -t N -c N -d 15s -s wrk.lua http://127.0.0.1:PORT -- OPS_FILE TAG
--
-- OPS_FILE (written by load.py) returns a Lua table of operations; an operation is a
-- list of raw HTTP requests sent one after another (the scan, then the earn), in which
-- the placeholder below stands for the operation's key (the Idempotency-Key, the
-- counter's attempt). Keys are TAG-TTT-NNNNNNNNN: the thread and its operation number,
-- as long as the placeholder, so Content-Length stays right.
--
-- done() prints, per thread, requests sent and answered, status counts by step, the
-- last operation's final step when it was sent without an answer (in flight when wrk
-- stopped) and any "lost": asked for while the one before had no answer (a broken
-- connection; and, always, the one request wrk asks thread 1 for before the run to check
-- the script, which it never sends). load.py sends those again with the same key, as a
-- client would, so that the answered earns can be counted exactly.

local PLACEHOLDER = "@@KEY@@@@@@@@@@@@@@@"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  ops = dofile(args[1])
  tag = args[2]
  local nthreads = tonumber(args[3])
  n = 0          -- operations started
  step = 0       -- steps of the current operation already sent
  sent = 0
  answered = 0
  acked = 0      -- 2xx answers to an operation's final step
  codes = {}     -- "step:status" -> count
  pending = nil  -- "op key step" awaiting its answer
  lost = {}
  -- Threads start at evenly spaced operations, so two of them rarely hold one member.
  first = math.floor((tid - 1) * #ops / nthreads)
end

function request()
  if pending ~= nil then
    -- The previous request got no answer (its connection broke): wrk asks for a new one.
    table.insert(lost, pending)
    step = 0
  end
  if step == 0 then
    n = n + 1
    opi = (first + n - 1) % #ops + 1
    key = string.format("%s-%03d-%09d", tag, tid, n)
  end
  local steps = ops[opi]
  step = step + 1
  local req = string.gsub(steps[step], PLACEHOLDER, key)
  pending = string.format("%d %s %d %d", opi, key, step, #steps)
  last_step = step
  if step == #steps then
    step = 0
  end
  sent = sent + 1
  return req
end

function response(status, headers, body)
  pending = nil
  answered = answered + 1
  local k = last_step .. ":" .. status
  codes[k] = (codes[k] or 0) + 1
  if status >= 200 and status < 300 and step == 0 then
    acked = acked + 1
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("THREAD %d %d %d %d\n", t:get("tid"), t:get("sent"),
      t:get("answered"), t:get("acked")))
    for k, count in pairs(t:get("codes")) do
      io.write(string.format("CODE %s %d\n", k, count))
    end
    local p = t:get("pending")
    if p ~= nil then
      io.write("PENDING " .. p .. "\n")
    end
    for _, l in ipairs(t:get("lost")) do
      io.write("LOST " .. l .. "\n")
    end
  end
  for _, p in ipairs({50, 90, 95, 99, 99.9}) do
    io.write(string.format("LATENCY %g %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("SUMMARY %d %d %d %d %d %d %d\n", summary.duration, summary.requests,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
