using System.Text.Json;
using UsageTracking.QueryApp.Generation;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// Question → SQL pairs saved by a thumbs-up, kept in a JSON file next to the demo data (replaced atomically, so a
/// crash never leaves half a file). The generators read them: offline as exact answers, an LLM as few-shot examples.
/// </summary>
public sealed class ExampleStore(string path)
{
    private const int MaxExamples = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _gate = new();
    private List<SavedExample>? _examples;

    /// <summary>The saved examples for one data source, oldest first.</summary>
    public IReadOnlyList<SavedExample> For(string source)
    {
        lock (_gate)
        {
            return Load().Where(e => e.Source == source).ToList();
        }
    }

    /// <summary>Saves a pair, replacing an earlier answer to the same question.</summary>
    public void Save(SavedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        lock (_gate)
        {
            var examples = Load();
            var key = QuestionText.Normalize(example.Question);
            examples.RemoveAll(e => e.Source == example.Source && QuestionText.Normalize(e.Question) == key);
            examples.Add(example);
            if (examples.Count > MaxExamples)
            {
                examples.RemoveRange(0, examples.Count - MaxExamples);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(examples, Json));
            File.Move(temporary, path, overwrite: true);
        }
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
