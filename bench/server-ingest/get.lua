-- wrk script (bench/server-ingest.sh): GETs alternating between the image list and the
-- affected-by query while the uploads run; paths and token from the environment.
local paths, token
function init(args)
  paths = {os.getenv("GET_PATH_1"), os.getenv("GET_PATH_2")}
  token = os.getenv("INGEST_TOKEN")
  n = 0
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % 2) + 1], {["Authorization"] = "Bearer " .. token})
end

function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"seconds":%.3f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99.9":%.3f,"max":%.3f}}\n',
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
