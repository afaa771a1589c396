local good = '{"instances":[[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]]}'
local bad = { '{"instances":[[1,2,3]]}', '{"instances":[[0,"x"]]}', '{not json', '{"instances":[[NaN]]}' }
local n = 0
request = function()
  n = n + 1
  local body = good
  if n % 5 == 0 then body = bad[(n / 5) % 4 + 1] end
  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, body)
end
local ok, bad4, other = 0, 0, 0
response = function(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 400 then bad4 = bad4 + 1 else other = other + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx responses (the invalid fifth): %d of %d\n", summary.errors.status, summary.requests))
end
