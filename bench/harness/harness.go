// Package harness holds what the benchmark commands share: building sluice,
// timing a command and reading its peak RSS.
package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BuildSluice builds ./cmd/sluice into dir and returns the binary's path.
func BuildSluice(dir string) (string, error) {
	bin := filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/sluice")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building sluice: %w", err)
	}
	return bin, nil
}

// Sizes is a repeatable flag of row counts (1000000 or 1_000_000).
type Sizes []int

func (s *Sizes) String() string { return fmt.Sprint(*s) }

// Set adds a size.
func (s *Sizes) Set(v string) error {
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	*s = append(*s, n)
	return err
}

// Machine describes the machine for the report.
func Machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}

// Result is one measured command.
type Result struct {
	Wall    time.Duration
	PeakRSS int64 // MB
	Stdout  string
}

// Measure runs the command made by mk repeat times, calling reset before each,
// and returns the best wall time and the largest peak RSS.
func Measure(mk func() *exec.Cmd, reset func() error, repeat int) (Result, error) {
	var best Result
	for i := 0; i < max(repeat, 1); i++ {
		if reset != nil {
			if err := reset(); err != nil {
				return best, err
			}
		}
		cmd := mk()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil {
			return best, fmt.Errorf("%s: %w\n%s%s", strings.Join(cmd.Args, " "), err, out, stderr.String())
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
		if best.Wall == 0 || d < best.Wall {
			best.Wall, best.Stdout = d, string(out)
		}
		best.PeakRSS = max(best.PeakRSS, rss)
	}
	return best, nil
}
