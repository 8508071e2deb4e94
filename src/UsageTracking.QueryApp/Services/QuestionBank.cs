using System.Reflection;

namespace UsageTracking.QueryApp.Services;

/// <summary>Suggested questions per data-source domain, from the embedded <c>Questions/&lt;domain&gt;.txt</c> files (one per line).</summary>
public sealed class QuestionBank
{
    private readonly Dictionary<string, string[]> _questions = new(StringComparer.Ordinal);

    /// <summary>Loads every embedded questions file.</summary>
    public QuestionBank()
    {
        var assembly = typeof(QuestionBank).Assembly;
        const string prefix = "UsageTracking.QueryApp.Questions.";
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".txt", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            _questions[name[prefix.Length..^4]] = reader.ReadToEnd()
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => !line.StartsWith('#'))
                .ToArray();
        }
    }

    /// <summary>All questions of a domain.</summary>
    public IReadOnlyList<string> All(string domain) => _questions.GetValueOrDefault(domain) ?? [];

    /// <summary><paramref name="count"/> random questions, avoiding <paramref name="exclude"/> (the ones just shown) when there are enough.</summary>
    public IReadOnlyList<string> Pick(string domain, int count, IReadOnlyCollection<string>? exclude = null)
    {
        var all = All(domain);
        var pool = exclude is { Count: > 0 } && all.Count - exclude.Count >= count ? all.Where(q => !exclude.Contains(q)).ToList() : all.ToList();
        return pool.OrderBy(_ => Random.Shared.Next()).Take(count).ToList();
    }
}
