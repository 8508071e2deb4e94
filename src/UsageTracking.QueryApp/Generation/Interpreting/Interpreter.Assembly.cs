namespace UsageTracking.QueryApp.Generation.Interpreting;

internal sealed partial class Interpreter
{
    /// <summary>
    /// Puts the recognised pieces of one question together: each binds to its neighbours (a measure to the column after
    /// it, a comparison or a time to the column beside it, "by" to the column it introduces), then the rest is decided
    /// from what is there (a ranking needs something to rank; a column nothing uses is a question not understood).
    /// </summary>
    private sealed class Assembly(Interpreter owner, List<Piece> pieces)
    {
        private readonly SourceModel _model = owner._model;
        private readonly bool[] _used = new bool[pieces.Count];
        private readonly List<(Filter Filter, int Position)> _filters = [];
        private readonly List<Measure> _measures = [];
        private readonly List<Grouping> _groups = [];
        private readonly List<int> _freeColumns = [];
        private (Superlative Word, int Position, ModelColumn? By)? _rank;
        private bool _rankedColumnAdjacent;
        private int? _sharePosition;
        private bool _rate;
        private bool _listing;
        private bool _sawEntity;
        private bool _entityPlural = true;
        private string? _refusal;

        private string Entities => _model.Glossary.Entity.Plural;

        public InterpretResult Build()
        {
            ResolveAlternatives();
            for (var i = 0; i < pieces.Count && _refusal is null; i++)
            {
                if (!_used[i])
                {
                    Bind(i);
                }
            }

            return _refusal is not null ? InterpretResult.Refuse(_refusal) : Form();
        }

        // "completed" is the status Completed, unless a time is beside it ("completed in 2020": the completion date).
        private void ResolveAlternatives()
        {
            for (var i = 0; i < pieces.Count; i++)
            {
                var piece = pieces[i];
                if (piece.Alternative is not { } other)
                {
                    continue;
                }

                var column = piece.Kind == PieceKind.Column ? piece : other.Kind == PieceKind.Column ? other : null;
                var value = piece.Kind is PieceKind.Value or PieceKind.Term ? piece : other.Kind is PieceKind.Value or PieceKind.Term ? other : null;
                if (column is null || value is null || ((ModelColumn)column.Payload!).Kind != ColumnKind.Date)
                {
                    continue;
                }

                var timeBeside = Is(i + 1, PieceKind.Date) || Is(i - 1, PieceKind.Date) || Is(i + 1, PieceKind.Bucket)
                    || (Is(i + 1, PieceKind.Group) && Is(i + 2, PieceKind.BucketWord)) || (Is(i + 1, PieceKind.Comparator) && IsYearRange(pieces[i + 1]))
                    || (Is(i - 1, PieceKind.Superlative) && ((Superlative)pieces[i - 1].Payload!).Target == "date");
                pieces[i] = (timeBeside ? column : value) with { Alternative = null };
            }
        }

        private bool Is(int index, PieceKind kind) => index >= 0 && index < pieces.Count && pieces[index].Kind == kind;

        private Piece? At(int index) => index >= 0 && index < pieces.Count ? pieces[index] : null;

        private ModelColumn? ColumnAt(int index) => At(index) is { Kind: PieceKind.Column, Payload: ModelColumn c } ? c
            : At(index) is { Kind: PieceKind.Term, Payload: GlossaryTerm { Values: null, Errors: false, Measures: null, GroupBy: null, Bucket: null, Column: { } name } } ? _model.Column(name)
            : null;

        private static bool IsYearRange(Piece piece) =>
            piece.Payload is Comparison { Op: FilterOp.Between, Low: >= 1900 and <= 2100, High: >= 1900 and <= 2100 } c && c.Low == Math.Floor(c.Low!.Value);

        private void Refuse(string why) => _refusal ??= why;

        private void Bind(int i)
        {
            var piece = pieces[i];
            switch (piece.Kind)
            {
                case PieceKind.Entity:
                    _used[i] = true;
                    _sawEntity = true;
                    var said = Words.Split(piece.Text);
                    _entityPlural = said.Count == 0 || said[^1].Stem != said[^1].Text || !Words.Split(_model.Glossary.Entity.Singular).Any(w => w.Text == said[^1].Text);
                    break;
                case PieceKind.Value:
                    BindValues(i, negated: Negated(i));
                    break;
                case PieceKind.Email:
                    _used[i] = true;
                    if (_model.Columns.FirstOrDefault(c => c.Kind == ColumnKind.Text && (c.Name.Contains("user", StringComparison.OrdinalIgnoreCase) || c.Name.Contains("email", StringComparison.OrdinalIgnoreCase))) is { } user)
                    {
                        _filters.Add((new Filter(user, Negated(i) ? FilterOp.NotIn : FilterOp.In, [(string)piece.Payload!]), i));
                    }
                    else
                    {
                        Refuse($"{_model.Table} has no column of users for “{piece.Text}”.");
                    }

                    break;
                case PieceKind.Term:
                    BindTerm(i, (GlossaryTerm)piece.Payload!);
                    break;
                case PieceKind.Column:
                    BindColumn(i, (ModelColumn)piece.Payload!);
                    break;
                case PieceKind.Measure:
                    BindMeasure(i);
                    break;
                case PieceKind.Superlative:
                    BindSuperlative(i, (Superlative)piece.Payload!);
                    break;
                case PieceKind.Share:
                    _used[i] = true;
                    _sharePosition ??= i;
                    _rate |= piece.Payload is "rate";
                    break;
                case PieceKind.Group:
                    BindGroup(i);
                    break;
                case PieceKind.Bucket:
                    _used[i] = true;
                    AddBucket(DateNear(i) ?? _model.DefaultDate, (Bucket?)piece.Payload ?? Bucket.Month, piece);
                    break;
                case PieceKind.BucketWord:
                    // "start year", "completion month": a date column, then its bucket, after "by".
                    if (ColumnAt(i - 1) is { Kind: ColumnKind.Date } && Is(i - 2, PieceKind.Group))
                    {
                        _used[i] = true;
                    }
                    else if (Is(i - 1, PieceKind.List) || (Is(i - 1, PieceKind.And) && pieces.Take(i).Any(p => p.Kind == PieceKind.Group)))
                    {
                        // "which year had the most studies", "by sponsor and year".
                        _used[i] = true;
                        AddBucket(DateNear(i) ?? FirstDateNamed() ?? _model.DefaultDate, (Bucket)piece.Payload!, piece);
                    }
                    else
                    {
                        Refuse($"I did not understand “{piece.Text}” here; to break the answer down by time, say “per {piece.Text}” or “by {piece.Text}”.");
                    }

                    break;
                case PieceKind.Date:
                    BindDate(i, (DateSpan)piece.Payload!);
                    break;
                case PieceKind.Comparator:
                    BindComparison(i, (Comparison)piece.Payload!);
                    break;
                case PieceKind.Missing:
                    BindMissing(i);
                    break;
                case PieceKind.List:
                    _used[i] = true;
                    _listing = true;
                    break;
                case PieceKind.Number:
                    Refuse($"I did not understand what “{piece.Text}” refers to; say “top {piece.Text}”, “more than {piece.Text} …” or “in {piece.Text}”.");
                    break;
                case PieceKind.Negation:
                    if (Is(i + 1, PieceKind.Has) && ColumnAt(i + 2) is { } lacking && !_used[i + 2])
                    {
                        // "do not have a completion date".
                        _used[i] = _used[i + 1] = _used[i + 2] = true;
                        _filters.Add((new Filter(lacking, lacking.Kind == ColumnKind.Number ? FilterOp.ZeroOrMissing : FilterOp.IsMissing, []), i));
                        break;
                    }

                    if (!Is(i + 1, PieceKind.Value) && !Is(i + 1, PieceKind.Term) && !Is(i + 1, PieceKind.Email) && !Is(i + 1, PieceKind.Missing))
                    {
                        Refuse($"I did not understand what “{piece.Text}” excludes; say it before a value, as in “not completed” or “excluding Pfizer”.");
                    }

                    _used[i] = true;
                    break;
                default:
                    _used[i] = true;
                    break;
            }
        }

        private bool Negated(int i) => Is(i - 1, PieceKind.Negation) || (Is(i - 1, PieceKind.Missing) && Is(i, PieceKind.Value));

        // A run of values of one column ("France, Germany or Spain") is one filter.
        private void BindValues(int i, bool negated)
        {
            var match = (ValueMatch)pieces[i].Payload!;
            var values = new List<string>(match.Values);
            _used[i] = true;
            var j = i;
            while ((Is(j + 1, PieceKind.And) || Is(j + 1, PieceKind.Or)) && At(j + 2) is { Kind: PieceKind.Value, Payload: ValueMatch next } && next.Column == match.Column)
            {
                values.AddRange(next.Values);
                _used[j + 1] = _used[j + 2] = true;
                j += 2;
            }

            while (At(j + 1) is { Kind: PieceKind.Value, Payload: ValueMatch adjacent } && adjacent.Column == match.Column)
            {
                values.AddRange(adjacent.Values);
                _used[j + 1] = true;
                j++;
            }

            // The column's own name beside its value ("sponsor Pfizer", "sponsored by Pfizer", "in the country France").
            foreach (var k in new[] { i - 1, i - 2, j + 1 })
            {
                if (ColumnAt(k) == match.Column && (k != i - 2 || Is(i - 1, PieceKind.Group) || Is(i - 1, PieceKind.Negation)))
                {
                    _used[k] = true;
                    if (k == i - 2)
                    {
                        _used[i - 1] = true;
                    }
                }
            }

            if (Is(i - 1, PieceKind.Group) && !_used[i - 1])
            {
                _used[i - 1] = true;
            }

            _filters.Add((new Filter(match.Column, negated ? FilterOp.NotIn : FilterOp.In, values.Distinct().ToList()), i));
        }

        private void BindTerm(int i, GlossaryTerm term)
        {
            _used[i] = true;
            var negated = Negated(i);
            var column = _model.Column(term.Column);
            if (term.Values is { Count: > 0 } values)
            {
                if (column is null)
                {
                    Refuse($"The glossary's “{pieces[i].Text}” names a column {_model.Table} does not have ({term.Column}).");
                    return;
                }

                _filters.Add((new Filter(column, negated ? FilterOp.NotIn : FilterOp.In, values), i));
            }

            if (term.Errors)
            {
                _filters.Add((new Filter(null, negated ? FilterOp.IsNotError : FilterOp.IsError, []), i));
            }

            foreach (var measure in term.Measures ?? [])
            {
                var measured = _model.Column(measure.Column);
                if (measure.Column is not null && measured is null)
                {
                    Refuse($"The glossary's “{pieces[i].Text}” names a column {_model.Table} does not have ({measure.Column}).");
                    return;
                }

                _measures.Add(new Measure(measure.Kind, measured));
            }

            if (term.GroupBy is { } group)
            {
                if (_model.Column(group) is { } grouped)
                {
                    _groups.Add(new Grouping(grouped));
                }
                else
                {
                    Refuse($"The glossary's “{pieces[i].Text}” names a column {_model.Table} does not have ({group}).");
                }
            }

            if (term.Bucket is { } bucket)
            {
                AddBucket(DateNear(i) ?? _model.DefaultDate, bucket, pieces[i]);
            }

            if (term is { Values: null, Errors: false, Measures: null, GroupBy: null, Bucket: null } && column is not null)
            {
                _used[i] = false;
                pieces[i] = pieces[i] with { Kind = PieceKind.Column, Payload = column };
                BindColumn(i, column);
            }
        }

        private void BindColumn(int i, ModelColumn column)
        {
            _used[i] = true;
            if (Is(i - 1, PieceKind.Missing))
            {
                // "no completion date": missing; "no participants": none of them.
                _used[i - 1] = true;
                _filters.Add((new Filter(column, column.Kind == ColumnKind.Number ? FilterOp.ZeroOrMissing : FilterOp.IsMissing, []), i));
                return;
            }

            // "completion date is missing", "completion date unknown".
            if (Is(i + 1, PieceKind.Missing) && ColumnAt(i + 2) is null && !Is(i + 2, PieceKind.Value))
            {
                _used[i + 1] = true;
                _filters.Add((new Filter(column, FilterOp.IsMissing, []), i));
                return;
            }

            // The column's name beside one of its values ("status not completed", "sponsored by Pfizer", "GSK sponsor").
            if (At(i + 1) is { Kind: PieceKind.Value, Payload: ValueMatch direct } && direct.Column == column
                || At(i + 1) is { Kind: PieceKind.Negation or PieceKind.Group or PieceKind.Has } && At(i + 2) is { Kind: PieceKind.Value, Payload: ValueMatch later } && later.Column == column
                || At(i + 1) is { Kind: PieceKind.Term, Payload: GlossaryTerm { Column: { } after } } && _model.Column(after) == column
                || At(i - 1) is { Kind: PieceKind.Term, Payload: GlossaryTerm { Column: { } before } } && _model.Column(before) == column)
            {
                return;
            }

            // "tokens and cost", "average duration and cost": a number joined to a measure is measured the same way.
            if (Is(i - 1, PieceKind.And) && column.Kind == ColumnKind.Number && _measures.Count > 0 && _measures[^1].Column?.Kind is ColumnKind.Number)
            {
                var previous = _measures[^1].Kind;
                _measures.Add(new Measure(previous is MeasureKind.Average or MeasureKind.Median or MeasureKind.Minimum or MeasureKind.Maximum ? previous : MeasureKind.Sum, column));
                return;
            }

            if (Is(i - 1, PieceKind.Has) && column.Kind is ColumnKind.Date && !Is(i + 1, PieceKind.Comparator) && !Is(i + 1, PieceKind.Date))
            {
                _filters.Add((new Filter(column, FilterOp.IsPresent, []), i));
                return;
            }

            // A time, a comparison, a bucket or a ranking beside the column binds it there.
            if (Is(i + 1, PieceKind.Date) || Is(i - 1, PieceKind.Date) || Is(i + 1, PieceKind.Bucket) || (Is(i + 1, PieceKind.Group) && Is(i + 2, PieceKind.BucketWord)))
            {
                if (column.Kind == ColumnKind.Date)
                {
                    return;
                }
            }

            if ((Is(i + 1, PieceKind.Comparator) || Is(i - 1, PieceKind.Comparator)) && column.Kind == ColumnKind.Number
                || Is(i + 1, PieceKind.Comparator) && IsYearRange(pieces[i + 1]) && column.Kind == ColumnKind.Date)
            {
                return;
            }

            _freeColumns.Add(i);
        }

        private void BindGroupedColumn(int i, ModelColumn column)
        {
            if (column.Kind == ColumnKind.Date)
            {
                var bucket = At(i + 1) is { Kind: PieceKind.BucketWord, Payload: Bucket b } ? b : Bucket.Day;
                if (Is(i + 1, PieceKind.BucketWord))
                {
                    _used[i + 1] = true;
                }

                AddBucket(column, bucket, pieces[i]);
                return;
            }

            if (column.Kind == ColumnKind.Number)
            {
                // "the 5 largest studies by enrollment", "top sponsors by enrollment": what is ranked by.
                if (_rank is { } rank && rank.By is null)
                {
                    _rank = rank with { By = column };
                    return;
                }

                Refuse($"Breaking the answer down by {column.Label} would make a group for every number; rank by it (“top 10 by {column.Label}”) or filter it (“{column.Label} more than …”).");
                return;
            }

            if (_groups.Any(g => g.Column == column))
            {
                return;
            }

            _groups.Add(new Grouping(column));
        }

        private void AddBucket(ModelColumn? column, Bucket bucket, Piece piece)
        {
            if (column is null)
            {
                Refuse($"{_model.Table} has no date to group by for “{piece.Text}”.");
                return;
            }

            if (!_groups.Any(g => g.Column == column && g.Bucket == bucket))
            {
                _groups.Add(new Grouping(column, bucket));
            }
        }

        // A date column named anywhere in the question ("which year had the most studies starting").
        private ModelColumn? FirstDateNamed()
        {
            for (var k = 0; k < pieces.Count; k++)
            {
                if (ColumnAt(k) is { Kind: ColumnKind.Date } date && !_used[k])
                {
                    _used[k] = true;
                    return date;
                }
            }

            return null;
        }

        // The date column a time refers to: one named beside it, else none (the caller uses the default).
        private ModelColumn? DateNear(int i)
        {
            foreach (var k in new[] { i - 1, i + 1, i - 2 })
            {
                if (ColumnAt(k) is { Kind: ColumnKind.Date } date && (k != i - 2 || Is(i - 1, PieceKind.Group)))
                {
                    _used[k] = true;
                    return date;
                }
            }

            return null;
        }

        private void BindMeasure(int i)
        {
            _used[i] = true;
            var piece = pieces[i];
            var (kind, percentile) = piece.Payload is PercentileSpec p ? (MeasureKind.Percentile, (double?)p.Percentile) : ((MeasureKind)piece.Payload!, null);

            // The measure applies to the first column after it, past values and entity words ("how many recruiting
            // studies", "average enrollment of phase 3 studies").
            for (var k = i + 1; k < pieces.Count; k++)
            {
                var next = pieces[k];
                if (next.Kind is PieceKind.Measure && next.Payload is MeasureKind.CountDistinct && kind == MeasureKind.Count)
                {
                    _used[k] = true;
                    kind = MeasureKind.CountDistinct;
                    continue;
                }

                // "mean number of participants": the mean of the participants.
                if (next.Kind is PieceKind.Measure && next.Payload is MeasureKind.Count && kind is not (MeasureKind.Count or MeasureKind.CountDistinct))
                {
                    _used[k] = true;
                    continue;
                }

                if (ColumnAt(k) is { } column && !_used[k])
                {
                    if (next.Kind == PieceKind.Term)
                    {
                        pieces[k] = next with { Kind = PieceKind.Column, Payload = column };
                    }

                    _used[k] = true;
                    AddMeasure(kind, column, percentile, next);
                    return;
                }

                if (next.Kind is PieceKind.Entity)
                {
                    if (kind is MeasureKind.Count or MeasureKind.CountDistinct)
                    {
                        _measures.Add(new Measure(MeasureKind.Count));
                        return;
                    }

                    continue;
                }

                if (next.Kind is PieceKind.Term && next.Payload is GlossaryTerm { Measures: { Count: > 0 } } && kind is MeasureKind.Count or MeasureKind.Sum)
                {
                    return;
                }

                if (next.Kind is not (PieceKind.Value or PieceKind.Negation or PieceKind.Term or PieceKind.Email or PieceKind.And or PieceKind.Has or PieceKind.Missing or PieceKind.Share))
                {
                    break;
                }
            }

            if (kind is MeasureKind.Count or MeasureKind.CountDistinct)
            {
                _measures.Add(new Measure(MeasureKind.Count));
                return;
            }

            // "which action is the slowest on average": the measure of what the ranking ranks.
            if (_rank is { } rank && (rank.By ?? (rank.Word.Target == "size" ? _model.SizeColumn : null)) is { Kind: ColumnKind.Number } ranked)
            {
                AddMeasure(kind, ranked, percentile, piece);
                return;
            }

            Refuse($"I did not understand what “{piece.Text}” is of; name a number column ({NumberColumns()}).");
        }

        private void AddMeasure(MeasureKind kind, ModelColumn column, double? percentile, Piece at)
        {
            switch (kind)
            {
                case MeasureKind.Count or MeasureKind.CountDistinct when column.Kind == ColumnKind.Number && kind == MeasureKind.Count:
                    // "how many participants": the participants counted, not the distinct numbers.
                    _measures.Add(new Measure(MeasureKind.Sum, column));
                    return;
                case MeasureKind.Count or MeasureKind.CountDistinct:
                    _measures.Add(new Measure(MeasureKind.CountDistinct, column));
                    return;
                case MeasureKind.Minimum or MeasureKind.Maximum when column.Kind is ColumnKind.Number or ColumnKind.Date:
                    _measures.Add(new Measure(kind, column));
                    return;
                case MeasureKind.Sum or MeasureKind.Average or MeasureKind.Median or MeasureKind.Percentile or MeasureKind.Minimum or MeasureKind.Maximum when column.Kind == ColumnKind.Number:
                    _measures.Add(new Measure(kind, column, percentile));
                    return;
                default:
                    Refuse($"“{at.Text}” is {KindName(column)}, so it has no {MeasureName(kind)}; {MeasureName(kind)}s are of numbers ({NumberColumns()}).");
                    return;
            }
        }

        private void BindSuperlative(int i, Superlative word)
        {
            _used[i] = true;
            if (_rank is not null)
            {
                // "the top 5 most common": one ranking, the first says how many.
                var (first, position, by) = _rank.Value;
                _rank = (first with { N = first.N ?? word.N, Target = first.Target == "any" ? word.Target : first.Target, Descending = first.Target == "any" && (first.N is null || first.Neutral) ? word.Descending : first.Descending, Alone = first.Alone ?? word.Alone }, position, by);
                return;
            }

            _rank = (word, i, null);
            if (ColumnAt(i + 1) is { Kind: ColumnKind.Number or ColumnKind.Date } column && !_used[i + 1])
            {
                // "largest enrollment", "earliest start date": a value of the column, not rows ranked by it.
                _used[i + 1] = true;
                _rank = (word, i, column);
                _rankedColumnAdjacent = true;
            }
        }

        private void BindGroup(int i)
        {
            _used[i] = true;
            var next = At(i + 1);
            if (next is { Kind: PieceKind.BucketWord, Payload: Bucket bucket })
            {
                _used[i + 1] = true;
                AddBucket(DateNear(i) ?? (ColumnAt(i + 2) is { Kind: ColumnKind.Date } after && Use(i + 2) ? after : _model.DefaultDate), bucket, next);
                return;
            }

            if (next is { Kind: PieceKind.Measure } && At(i + 2) is { Kind: PieceKind.Entity })
            {
                // "by number of studies": what a ranking ranks by.
                _used[i + 1] = _used[i + 2] = true;
                return;
            }

            if (next is null || next.Kind is PieceKind.Entity)
            {
                if (next is not null)
                {
                    _used[i + 1] = true;
                }

                return;
            }

            if (ColumnAt(i + 1) is { } column && !_used[i + 1])
            {
                _used[i + 1] = true;
                BindGroupedColumn(i + 1, column);

                // "by phase and status": a second breakdown.
                for (var k = i + 2; Is(k, PieceKind.And) && ColumnAt(k + 1) is { } another && !_used[k + 1]; k += 2)
                {
                    _used[k] = _used[k + 1] = true;
                    BindGroupedColumn(k + 1, another);
                }
            }
        }

        private bool Use(int index)
        {
            _used[index] = true;
            return true;
        }

        private void BindDate(int i, DateSpan span)
        {
            _used[i] = true;
            var column = DateNear(i) ?? _model.DefaultDate;
            if (column is null)
            {
                Refuse($"{_model.Table} has no date for “{pieces[i].Text}”.");
                return;
            }

            _filters.Add((new Filter(column, FilterOp.DateRange, [], Span: span), i));
        }

        private void BindComparison(int i, Comparison comparison)
        {
            _used[i] = true;
            var numeric = new[] { i + 1, i - 1, i + 2 }.Select(k => (Index: k, Column: ColumnAt(k))).FirstOrDefault(c => c.Column is { Kind: ColumnKind.Number } && (c.Index != i + 2 || Is(i + 1, PieceKind.Entity)));
            if (numeric.Column is { } column)
            {
                _used[numeric.Index] = true;
                var negate = Is(i - 1, PieceKind.Negation);
                var op = negate ? comparison.Op switch
                {
                    FilterOp.Greater => FilterOp.LessOrEqual,
                    FilterOp.GreaterOrEqual => FilterOp.Less,
                    FilterOp.Less => FilterOp.GreaterOrEqual,
                    FilterOp.LessOrEqual => FilterOp.Greater,
                    _ => comparison.Op,
                } : comparison.Op;
                if (negate)
                {
                    _used[i - 1] = true;
                }

                _filters.Add((new Filter(column, op, [], comparison.Low, comparison.High), i));
                return;
            }

            if (IsYearRange(pieces[i]))
            {
                var date = DateNear(i) ?? _model.DefaultDate;
                if (date is not null)
                {
                    _filters.Add((new Filter(date, FilterOp.DateRange, [], Span: new DateSpan(new DateOnly((int)comparison.Low!.Value, 1, 1), new DateOnly((int)comparison.High!.Value + 1, 1, 1))), i));
                    return;
                }
            }

            Refuse($"I did not understand what “{pieces[i].Text}” counts; name a number column after it ({NumberColumns()}).");
        }

        private void BindMissing(int i)
        {
            _used[i] = true;
            if (ColumnAt(i + 1) is not null || Is(i + 1, PieceKind.Value) || Is(i + 1, PieceKind.Term))
            {
                return;
            }

            if (pieces[i].Text.Equals("no", StringComparison.OrdinalIgnoreCase) && Is(i + 1, PieceKind.Entity))
            {
                return;
            }

            Refuse($"I did not understand what is “{pieces[i].Text}”; name the column, as in “without a {_model.Columns.FirstOrDefault(c => c.Kind == ColumnKind.Date)?.Label ?? "value"}”.");
        }

        // ---- Forming the interpretation from what was bound. ----

        private InterpretResult Form()
        {
            var free = _freeColumns.Where(k => !_groups.Any(g => g.Column == ColumnAt(k)) && !_measures.Any(m => m.Column == ColumnAt(k))).ToList();
            var ranked = _rank is { } r && r.Word.Target != "limit";

            // A text column named with a ranking or a list ("which sponsors have the most studies", "top 5 countries",
            // "list the sponsors") is what the answer is about.
            ModelColumn? distinct = null;
            foreach (var k in free.ToList())
            {
                var column = ColumnAt(k)!;
                var filtered = _filters.Where(f => f.Filter.Column == column).Select(f => f.Filter).ToList();
                if (_groups.Any(g => g.Column == column) || _measures.Any(m => m.Column == column)
                    || filtered.Count > 0 && !(ranked && filtered.All(f => f.Op == FilterOp.In && f.Values.Count > 1)))
                {
                    // Grouped, measured, or only naming what a filter already says ("Pfizer as sponsor", "enrolled no participants").
                    free.Remove(k);
                }
                else if (column.Kind is ColumnKind.Text && !ranked && _sharePosition is null && _measures.Count > 0 && !IsPlural(k))
                {
                    // "how many users used the app": which app? Not a breakdown by app — ask.
                    continue;
                }
                else if (column.Kind is ColumnKind.Text or ColumnKind.Flag && (ranked || _measures.Count > 0 || _sharePosition is not null) && _groups.Count < 2)
                {
                    _groups.Add(new Grouping(column));
                    free.Remove(k);
                }
                else if (column.Kind is ColumnKind.Text && _listing && _measures.Count == 0 && distinct is null && _groups.Count == 0)
                {
                    distinct = column;
                    free.Remove(k);
                }
                else if (column.Kind is ColumnKind.Number or ColumnKind.Date && ranked && _rank!.Value.By is null)
                {
                    _rank = _rank.Value with { By = column };
                    free.Remove(k);
                }
            }

            if (free.Count > 0)
            {
                var column = ColumnAt(free[0])!;
                return InterpretResult.Refuse(column.Kind == ColumnKind.Number
                    ? $"What about {column.Label}? Ask for its average, total, highest or lowest, or filter it (“{column.Label} more than …”)."
                    : $"What about {column.Label}? Ask for a count by {column.Label}, or name one of its values.");
            }

            if (_groups.Count > 2)
            {
                return InterpretResult.Refuse("The built-in generator breaks an answer down by at most two things at once; ask for two of them.");
            }

            var filters = _filters.Select(f => f.Filter).ToList();
            var measures = _measures.ToList();
            Ordering? order = null;
            int? limit = null;
            var listing = false;

            if (_sharePosition is { } sharePosition)
            {
                // The rows whose share is asked: the conditions after "share of … studies", or the ones between; for a rate
                // ("error rate by action"), the ones just before it.
                var entityAfter = pieces.FindIndex(sharePosition, p => p.Kind == PieceKind.Entity);
                var condition = _rate
                    ? _filters.Where(f => f.Position < sharePosition).Select(f => f.Filter).ToList()
                    : _filters.Where(f => f.Position > (entityAfter >= 0 ? entityAfter : sharePosition)).Select(f => f.Filter).ToList();
                if (_rate && condition.Count == 0)
                {
                    return InterpretResult.Refuse($"A rate of what? Name the {Entities} it counts first, as in “error rate by action”.");
                }

                if (condition.Count == 0)
                {
                    condition = _filters.Where(f => f.Position > sharePosition).Select(f => f.Filter).ToList();
                }

                if (condition.Count == 0 && _groups.Count == 0)
                {
                    return InterpretResult.Refuse($"A share of which {Entities}? Say which, as in “what share of {Entities} are …”, or ask for the share by something.");
                }

                filters = filters.Except(condition).ToList();
                measures = [new Measure(MeasureKind.Share, Condition: condition)];
            }

            if (_rank is { } rank)
            {
                limit = rank.Word.N;
                if (rank.Word.Target == "limit")
                {
                    listing = measures.Count == 0 && _groups.Count == 0;
                    if (!listing)
                    {
                        return InterpretResult.Refuse($"“{pieces[rank.Position].Text}” needs an order; say “top {limit}” or “{limit} largest”.");
                    }
                }
                else if (_groups.Count > 0)
                {
                    if (measures.Count == 0)
                    {
                        measures.Add(rank.By is { } by
                            ? new Measure(rank.Word.Alone is MeasureKind.Maximum or MeasureKind.Minimum && rank.Word.Target == "any" ? rank.Word.Alone.Value : MeasureKind.Sum, by)
                            : new Measure(MeasureKind.Count));
                    }

                    order = new Ordering(rank.Word.Descending);
                    limit ??= GroupsArePlural() ? DefaultTop : 1;
                }
                else if (measures.Count == 0 && _rankedColumnAdjacent && rank.By is { } valued && rank.Word.N is null)
                {
                    measures.Add(new Measure(rank.Word.Descending ? MeasureKind.Maximum : MeasureKind.Minimum, valued));
                    order = null;
                }
                else if (measures.Count == 0 && (_sawEntity || _listing) && rank.Word.Target != "count")
                {
                    var by = rank.By ?? (rank.Word.Target == "date" ? _model.DefaultDate : _model.SizeColumn);
                    if (by is null)
                    {
                        return InterpretResult.Refuse($"“{pieces[rank.Position].Text}” by what? Name a column to rank {Entities} by ({NumberColumns()}).");
                    }

                    listing = true;
                    order = new Ordering(rank.Word.Descending, by);
                    limit ??= _entityPlural ? DefaultTop : 1;
                }
                else if (measures.Count == 0 && rank.By is { } alone && rank.Word.Alone is { } kind)
                {
                    measures.Add(new Measure(kind, alone));
                }
                else if (measures.Count == 0)
                {
                    return InterpretResult.Refuse($"“{pieces[rank.Position].Text}” of what? Say what to rank, as in “which sponsors have the most {Entities}”.");
                }
                else if (measures.Count > 0 && _groups.Count == 0 && measures.All(m => m.Kind == MeasureKind.Count) && rank.Word.Target == "count")
                {
                    return InterpretResult.Refuse($"The most {Entities} by what? Say by what, as in “which sponsors have the most {Entities}”.");
                }
            }

            if (distinct is not null)
            {
                return Done(new Interpretation([], filters, [], new Ordering(false, distinct), limit, Listing: false, distinct, Entities));
            }

            if (measures.Count == 0 && _groups.Count > 0)
            {
                measures.Add(new Measure(MeasureKind.Count));
            }

            if (measures.Count == 0 && !listing)
            {
                if (!_sawEntity && !_listing && filters.Count == 0)
                {
                    return InterpretResult.Refuse($"I did not understand what to compute; ask “how many {Entities} …”, “average …” or “list {Entities} …”.");
                }

                listing = true;
            }

            if (listing)
            {
                order ??= _model.DefaultDate is { } newest ? new Ordering(true, newest, Implicit: true) : null;
                limit ??= DefaultListLimit;
            }

            return Done(new Interpretation(measures, filters, _groups.ToList(), order, limit, listing, null, Entities));
        }

        private InterpretResult Done(Interpretation interpretation) => new(interpretation, null, []);

        private bool IsPlural(int index)
        {
            var words = Words.Split(pieces[index].Text);
            return words.Count > 0 && words[^1].Stem != words[^1].Text;
        }

        // "which sponsors" asks for several; "which sponsor" and "who" for one.
        private bool GroupsArePlural()
        {
            if (pieces.Any(p => p.Kind == PieceKind.List && p.Text.Equals("who", StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }

            for (var i = 0; i < pieces.Count; i++)
            {
                if (ColumnAt(i) is { } column && _groups.Any(g => g.Column == column))
                {
                    var words = Words.Split(pieces[i].Text);
                    return words.Count == 0 || words[^1].Stem != words[^1].Text;
                }
            }

            return true;
        }

        private string NumberColumns() => string.Join(", ", _model.Columns.Where(c => c.Kind == ColumnKind.Number && !c.Name.EndsWith("_id", StringComparison.Ordinal)).Select(c => c.Label));

        private static string KindName(ModelColumn column) => column.Kind switch
        {
            ColumnKind.Date => "a date",
            ColumnKind.Flag => "a yes/no flag",
            _ => "text",
        };

        private static string MeasureName(MeasureKind kind) => kind switch
        {
            MeasureKind.Sum => "total",
            MeasureKind.Average => "average",
            MeasureKind.Median => "median",
            MeasureKind.Percentile => "percentile",
            MeasureKind.Minimum => "minimum",
            MeasureKind.Maximum => "maximum",
            _ => kind.ToString().ToLowerInvariant(),
        };
    }
}
