using UsageTracking.QueryApp.Generation.Interpreting;

namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// Picks the saved examples most like a question, for a model's few-shot turns: examples are scored by the content words
/// they share with the question (stems, so "studies" meets "study"), weighted by how rare each word is among the examples.
/// </summary>
internal static class ExampleRetrieval
{
    /// <summary>
    /// The <paramref name="count"/> examples most like <paramref name="question"/>, least similar first, so the closest sits
    /// next to the question; ties (an example sharing no word at all still shows the table's idioms) go to the newer one.
    /// </summary>
    public static IReadOnlyList<SavedExample> MostSimilar(string question, IReadOnlyList<SavedExample> examples, int count)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(examples);
        var asked = ContentStems(question);
        if (examples.Count == 0 || count <= 0)
        {
            return [];
        }

        var stems = examples.Select(e => ContentStems(e.Question)).ToList();
        var frequency = stems.SelectMany(s => s).GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return examples
            .Select((example, i) => (Example: example, Index: i, Score: stems[i].Where(asked.Contains).Sum(s => Math.Log(1 + (examples.Count / (double)frequency[s])))))
            .OrderByDescending(x => x.Score)
            .ThenByDescending(x => x.Index)
            .Take(count)
            .Reverse()
            .Select(x => x.Example)
            .ToList();
    }

    private static HashSet<string> ContentStems(string text) =>
        Words.Split(text).Where(w => !Lexicon.StopWords.Contains(w.Text)).Select(w => w.Stem).ToHashSet(StringComparer.Ordinal);
}
