-- wrk script: signed-in firms read a page (PAGE), each request with the next of the sessions in
-- COOKIE_FILE (one `credithub_session=…` a line), so every session is used in turn.
local cookies = {}
for line in io.lines(os.getenv("COOKIE_FILE")) do
  cookies[#cookies + 1] = line
end
local page = os.getenv("PAGE") or "/"
-- THINK_MS: each session waits this long before its next page (people read); 0 sends back to back.
local think = tonumber(os.getenv("THINK_MS") or "0")
if think > 0 then
  delay = function() return think end
end
local i = math.random(#cookies)
request = function()
  i = i % #cookies + 1
  return wrk.format("GET", page, { ["Cookie"] = cookies[i], ["Accept-Language"] = "zh-CN" })
end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  non-2xx %d  requests %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status, summary.requests))
end
