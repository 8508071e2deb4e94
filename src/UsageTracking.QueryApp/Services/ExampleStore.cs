using System.Text.Json;
using UsageTracking.QueryApp.Generation;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// Question → SQL pairs saved by a thumbs-up, kept in a JSON file next to the demo data (replaced atomically, so a
/// crash never leaves half a file). The generators read them: offline as exact answers, an LLM as few-shot examples.
/// An example answers the user who saved it; an admin shares it with everyone, replacing any shared answer to the same
/// question.
/// </summary>
public sealed class ExampleStore(string path)
{
    /// <summary>Most examples one user keeps unshared; their oldest go first.</summary>
    public const int MaxPerUser = 200;

    /// <summary>Most shared examples; the oldest go first.</summary>
    public const int MaxShared = 1_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _gate = new();
    private List<SavedExample>? _examples;

    /// <summary>The examples <paramref name="user"/> may use on one data source: shared ones, then their own, oldest first in each.</summary>
    public IReadOnlyList<SavedExample> For(string source, string user)
    {
        lock (_gate)
        {
            return Load().Where(e => e.Source == source && (e.Shared || Same(e.SavedBy, user)))
                .OrderBy(e => e.Shared ? 0 : 1).ThenBy(e => e.SavedAt).ToList();
        }
    }

    /// <summary>Every example on one data source (what an admin reviews), newest first.</summary>
    public IReadOnlyList<SavedExample> All(string source)
    {
        lock (_gate)
        {
            return Load().Where(e => e.Source == source).OrderByDescending(e => e.SavedAt).ToList();
        }
    }

    /// <summary>Saves a pair as its saver's own, replacing their earlier answer to the same question.</summary>
    public void Save(SavedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        ArgumentException.ThrowIfNullOrWhiteSpace(example.SavedBy);
        lock (_gate)
        {
            var examples = Load();
            examples.RemoveAll(e => !e.Shared && SameQuestion(e, example.Source, example.Question) && Same(e.SavedBy, example.SavedBy));
            examples.Add(example with { SharedBy = null });
            var own = examples.Where(e => !e.Shared && Same(e.SavedBy, example.SavedBy)).OrderBy(e => e.SavedAt).ToList();
            foreach (var old in own.Take(own.Count - MaxPerUser))
            {
                examples.Remove(old);
            }

            Write(examples);
        }
    }

    /// <summary>
    /// Shares <paramref name="savedBy"/>'s answer to <paramref name="question"/> with everyone, in place of any shared
    /// answer to it; false when there is no such example.
    /// </summary>
    public bool Share(string source, string question, string? savedBy, string admin)
    {
        lock (_gate)
        {
            var examples = Load();
            var index = examples.FindIndex(e => !e.Shared && SameQuestion(e, source, question) && Same(e.SavedBy, savedBy));
            if (index < 0)
            {
                return false;
            }

            var shared = examples[index] with { SharedBy = admin };
            examples.RemoveAt(index);
            examples.RemoveAll(e => e.Shared && SameQuestion(e, source, question));
            examples.Add(shared);
            var all = examples.Where(e => e.Shared).OrderBy(e => e.SavedAt).ToList();
            foreach (var old in all.Take(all.Count - MaxShared))
            {
                examples.Remove(old);
            }

            Write(examples);
            return true;
        }
    }

    private static bool SameQuestion(SavedExample e, string source, string question) =>
        e.Source == source && QuestionText.Normalize(e.Question) == QuestionText.Normalize(question);

    private static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private void Write(List<SavedExample> examples)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(examples, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private List<SavedExample> Load()
    {
        if (_examples is not null)
        {
            return _examples;
        }

        try
        {
            _examples = File.Exists(path) ? JsonSerializer.Deserialize<List<SavedExample>>(File.ReadAllText(path), Json) ?? [] : [];
        }
        catch (JsonException)
        {
            // A damaged file must not stop the app; it is kept aside for inspection and a new one started.
            File.Move(path, path + ".damaged", overwrite: true);
            _examples = [];
        }

        return _examples;
    }
}
