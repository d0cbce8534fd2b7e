package org.oialr.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.AbstractRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.train.EpochMetrics;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;

/** The command line's charts of runs: a one-epoch run shows its point, the comparison has one point per method. */
class ChartsTest {
    private static EpochMetrics epoch(int e, double top1, double trainablePercent, double mse) {
        return new EpochMetrics(e, 10L * (e + 1), 1e-3, 0.5, Double.isNaN(mse) ? 0.8 : Double.NaN, 0.4, top1, Double.isNaN(mse) ? 0.99 : Double.NaN,
                mse, Double.isNaN(mse) ? Double.NaN : mse / 2, trainablePercent, trainablePercent, (long) (10 * trainablePercent), 2.0 * (e + 1), Map.of());
    }

    private static RunResult run(String name, String label, List<EpochMetrics> history) {
        TrainConfig c = TrainConfig.builder().epochs(history.size()).build();
        long trainable = history.get(history.size() - 1).trainableParameters();
        return new RunResult(c.model(), name, label, c, history, 2.0, 2.5, 0.5, 1000, trainable, trainable, trainable, 1000, Map.of(), List.of());
    }

    @Test
    void aOneEpochRunShowsItsPoint(@TempDir Path dir) throws IOException {
        RunResult r = run("oialr", "OIALR", List.of(epoch(0, 0.85, 40, Double.NaN)));
        JFreeChart chart = Charts.training(r);
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage img = chart.createBufferedImage(900, 540, info);
        Rectangle2D area = info.getPlotInfo().getDataArea();
        XYPlot plot = chart.getXYPlot();
        int px = (int) Math.round(plot.getDomainAxis().valueToJava2D(1, area, RectangleEdge.BOTTOM));
        int left = (int) Math.round(plot.getRangeAxis(0).valueToJava2D(85, area, RectangleEdge.LEFT));
        int right = (int) Math.round(plot.getRangeAxis(1).valueToJava2D(40, area, RectangleEdge.RIGHT));
        List<Integer> seriesColours = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            AbstractRenderer renderer = (AbstractRenderer) plot.getRenderer(d);
            Paint p = renderer.lookupSeriesPaint(0);
            seriesColours.add(((java.awt.Color) p).getRGB());
        }
        // a line through one point draws nothing: the marker is what shows (both markers may sit at the same place)
        assertTrue(seriesColours.contains(img.getRGB(px, left)), "no marker at the top-1 point: " + Integer.toHexString(img.getRGB(px, left)));
        assertTrue(seriesColours.contains(img.getRGB(px, right)), "no marker at the trainable point: " + Integer.toHexString(img.getRGB(px, right)));

        // readable axes around the one value (JFreeChart alone would zoom to a 1e-8 wide range)
        org.jfree.data.Range y = plot.getRangeAxis(0).getRange(), x = plot.getDomainAxis().getRange();
        assertTrue(y.contains(85) && y.getLength() > 1 && y.getLength() < 10, y.toString());
        assertTrue(x.contains(1) && x.getLength() >= 2, x.toString());

        Charts.writeRunCharts(dir, r, null);
        assertTrue(Files.size(dir.resolve(Charts.TRAINING)) > 1000);
        assertTrue(!Files.exists(dir.resolve(Charts.STABILITY)), "no Stability records, no heatmap");
    }

    @Test
    void aRegressionRunPlotsItsTestLossAndIsLeftOutOfTheAccuracyChart() {
        RunResult reg = run("full", "full-rank", List.of(epoch(0, Double.NaN, 100, 0.3), epoch(1, Double.NaN, 100, 0.2)));
        JFreeChart chart = Charts.training(reg);
        assertEquals("test loss", chart.getXYPlot().getRangeAxis(0).getLabel());
        assertEquals(0, Charts.accuracyVsTrainable(List.of(reg)).getXYPlot().getDataset().getSeriesCount(), "no accuracy to plot");
    }

    @Test
    void theComparisonHasOnePointPerMethod(@TempDir Path dir) throws IOException {
        List<RunResult> runs = List.of(run("full", "full-rank", List.of(epoch(0, 0.9, 100, Double.NaN))),
                run("dlrt", "DLRT", List.of(epoch(0, 0.885, 25, Double.NaN))));
        JFreeChart chart = Charts.accuracyVsTrainable(runs);
        assertEquals(2, chart.getXYPlot().getDataset().getSeriesCount(), "one point series per method");
        Path png = dir.resolve("accuracy-vs-trainable.png");
        Plots.savePng(chart, png, 400, 300);
        byte[] head = Files.readAllBytes(png);
        assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G');
    }
}
