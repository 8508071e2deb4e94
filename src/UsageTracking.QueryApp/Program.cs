using UsageTracking.QueryApp;

var app = QueryApplication.Create(args);
app.Run();
