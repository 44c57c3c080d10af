-- wrk script: a bank's profile queries over many firms (USCC_FILE, one per line), with its key (BANK_KEY).
local usccs = {}
for line in io.lines(os.getenv("USCC_FILE")) do
  usccs[#usccs + 1] = line
end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BANK_KEY") }
local i = math.random(#usccs)
request = function()
  i = i % #usccs + 1
  return wrk.format("GET", "/v1/firms/" .. usccs[i] .. "/profile?purpose=credit_assessment", headers)
end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status))
end
