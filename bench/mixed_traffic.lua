-- wrk script of bench/mixed_traffic.py: many users, many pages, one latency per request.
--
-- MIXED_PLAN names a file of (user, page) pairs, one per line, tab-separated:
--   kind, path, Cookie header, Authorization header, htmx (1 or 0)
-- Thread i of MIXED_THREADS takes lines i, i + n, i + 2n, ... and asks them in turn,
-- starting again at its first when it reaches its last. Each thread has one connection
-- (wrk -t N -c N), so its requests and responses alternate and every response is timed
-- against its own request (CLOCK_MONOTONIC through LuaJIT's ffi). At the end, every
-- response's "kind status microseconds" goes to the file MIXED_OUT.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } mixed_timespec;
int clock_gettime(int clk_id, mixed_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("mixed_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = {}
local created = 0

function setup(thread)
  thread:set("thread_index", created)
  created = created + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  local plan = os.getenv("MIXED_PLAN")
  local count = tonumber(os.getenv("MIXED_THREADS"))
  requests, kinds = {}, {}
  local index = 0
  for line in io.lines(plan) do
    if index % count == thread_index then
      local f = split(line)
      local headers = { ["Accept-Language"] = "en" }
      if f[3] ~= "" then headers["Cookie"] = f[3] end
      if f[4] ~= "" then
        headers["Authorization"] = f[4]
        headers["Accept"] = "application/json"
      end
      if f[5] == "1" then headers["HX-Request"] = "true" end
      requests[#requests + 1] = wrk.format("GET", f[2], headers)
      kinds[#kinds + 1] = f[1]
    end
    index = index + 1
  end
  if #requests == 0 then
    error("no request for thread " .. thread_index .. " in " .. plan)
  end
  asked, current, started = 0, 1, 0
  samples = {}
end

function request()
  current = asked % #requests + 1
  asked = asked + 1
  started = now_us()
  return requests[current]
end

function response(status, headers, body)
  samples[#samples + 1] = kinds[current] .. " " .. status .. " " .. math.floor(now_us() - started)
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("MIXED_OUT"), "w"))
  for _, thread in ipairs(threads) do
    for _, sample in ipairs(thread:get("samples")) do
      out:write(sample, "\n")
    end
  end
  out:close()
end
