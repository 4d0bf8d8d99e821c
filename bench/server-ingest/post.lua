-- wrk script (bench/server-ingest.sh): POST /api/v1/reports with a distinct image report each
-- request. The body is the template file (a real 100-package scan) with its image id and name
-- replaced by a counter unique across wrk's threads; the token comes from the environment.
local template, token
local thread_no = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_no)
  thread_no = thread_no + 1
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("INGEST_TEMPLATE"), "rb"))
  template = f:read("*a")
  f:close()
  token = os.getenv("INGEST_TOKEN")
  n = 0
end

function request()
  n = n + 1
  local hex = string.format("%08x%08x", tid + 1, n)
  local body = template:gsub("@@HEX@@", hex)
  return wrk.format("POST", "/api/v1/reports",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 201 and status ~= 200 then
    bad = (bad or 0) + 1
    if bad <= 3 then io.stderr:write("ingest: HTTP " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local lat = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do lat[tostring(p)] = latency:percentile(p) / 1000 end
  io.write(string.format('{"requests":%d,"seconds":%.3f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99.9":%.3f,"max":%.3f}}\n',
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    lat["50"], lat["90"], lat["99"], lat["99.9"], latency.max / 1000))
end
