-- A mix of saescope routes for wrk (scripts/reliability/soak.sh): latent JSON, lists, search,
-- token search, static files. LATENTS comes from the environment. Counts statuses.
local latents = tonumber(os.getenv("LATENTS") or "1000")
-- MODE=live: only POST /api/activations (run beside the mix on a few connections).
local liveOnly = os.getenv("MODE") == "live"
local words = {"paris", "code", "the", "number", "quote", "name", "python", "french", "%22fires%20on%22", "dialogue"}
local tokens = {"%20the", "Paris", "%0A", "(", "ing", "%20of"}
local statics = {"/", "/assets/app.css", "/assets/tokens.js", "/favicon.svg", "/live"}
local counter = 0
s200, s503, sother = 0, 0, 0
local body = '{"text": "The quick brown fox jumps over the lazy dog, and then it runs into the forest near Paris."}'

request = function()
  counter = counter + 1
  local r = counter % 50
  if liveOnly then
    return wrk.format("POST", "/api/activations", {["Content-Type"] = "application/json"}, body)
  elseif r < 30 then
    return wrk.format("GET", "/api/features/" .. math.random(0, latents - 1))
  elseif r < 36 then
    return wrk.format("GET", "/api/features?sort=density&limit=50&offset=" .. math.random(0, latents - 1))
  elseif r < 41 then
    return wrk.format("GET", "/api/search?q=" .. words[math.random(#words)])
  elseif r < 44 then
    return wrk.format("GET", "/api/search/tokens?token=" .. tokens[math.random(#tokens)])
  else
    return wrk.format("GET", statics[math.random(#statics)])
  end
end

response = function(status, headers, body)
  if status == 200 then s200 = s200 + 1 elseif status == 503 then s503 = s503 + 1 else sother = sother + 1 end
end

-- Each wrk thread has its own Lua state: gather counts through the threads' tables.
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a, b, c = a + t:get("s200"), b + t:get("s503"), c + t:get("sother")
  end
  io.write(string.format("statuses: 200: %d, 503: %d, other: %d\n", a, b, c))
  io.write(string.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  -- The mix expects only 200s; the live stream may also get the queue's 503s.
  io.write("unexpected statuses: " .. (liveOnly and c or (b + c)) .. "\n")
end
