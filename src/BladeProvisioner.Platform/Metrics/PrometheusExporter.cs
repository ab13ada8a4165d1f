using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace BladeProvisioner.Platform.Metrics;

/// <summary>
/// Serves System.Diagnostics.Metrics instruments in the Prometheus text format (version 0.0.4): counters as
/// <c>_total</c>-style counters, up-down counters and gauges as gauges, histograms as count/sum summaries.
/// Listens to every meter whose name starts with <c>BladeProvisioner</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, Series>> _series = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("BladeProvisioner", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>The current values, as a scrape returns them.</summary>
    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var (instrument, series) in _series.OrderBy(x => x.Key.Name, StringComparer.Ordinal))
        {
            var name = Sanitize(instrument.Name);
            var kind = Kind(instrument);
            if (!string.IsNullOrEmpty(instrument.Description))
            {
                sb.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            }

            sb.Append("# TYPE ").Append(name).Append(' ').Append(kind).Append('\n');
            foreach (var (labels, s) in series.OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                if (kind == "summary")
                {
                    sb.Append(name).Append("_count").Append(labels).Append(' ').Append(Format(s.Count)).Append('\n');
                    sb.Append(name).Append("_sum").Append(labels).Append(' ').Append(Format(s.Value)).Append('\n');
                }
                else
                {
                    sb.Append(name).Append(labels).Append(' ').Append(Format(s.Value)).Append('\n');
                }
            }
        }

        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var series = _series.GetOrAdd(instrument, _ => new ConcurrentDictionary<string, Series>(StringComparer.Ordinal));
        var s = series.GetOrAdd(labels, _ => new Series());
        lock (s)
        {
            switch (instrument)
            {
                case ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double>
                    or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double>
                    or ObservableUpDownCounter<long> or ObservableUpDownCounter<int> or ObservableUpDownCounter<double>
                    or Gauge<long> or Gauge<int> or Gauge<double>:
                    s.Value = value;
                    break;
                case Histogram<long> or Histogram<int> or Histogram<double>:
                    s.Value += value;
                    s.Count++;
                    break;
                default:
                    s.Value += value;
                    break;
            }
        }
    }

    private static string Kind(Instrument instrument) => instrument switch
    {
        Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => "counter",
        Histogram<long> or Histogram<int> or Histogram<double> => "summary",
        _ => "gauge",
    };

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return string.Empty;
        }

        var pairs = new List<string>(tags.Length);
        foreach (var t in tags)
        {
            var v = Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            pairs.Add($"{Sanitize(t.Key)}=\"{v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }

        pairs.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', pairs) + "}";
    }

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':'))
            {
                chars[i] = '_';
            }
        }

        return char.IsAsciiDigit(chars[0]) ? "_" + new string(chars) : new string(chars);
    }

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Series
    {
        public double Value { get; set; }
        public long Count { get; set; }
    }
}
