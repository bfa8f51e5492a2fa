package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

type storeConfig struct {
	data        string
	databaseURL string
}

// storeFlags adds the flags that say where the data lives.
func storeFlags(fs *flag.FlagSet) *storeConfig {
	c := &storeConfig{}
	fs.StringVar(&c.data, "data", "./data", "data directory (SQLite database, outbox, uploads)")
	fs.StringVar(&c.databaseURL, "database-url", "", "postgres://... to keep data in PostgreSQL (for several replicas); empty uses SQLite under --data")
	return c
}

// openStore opens the store and applies its migrations and the job queue's,
// so every command works on a fresh directory or database.
func openStore(ctx context.Context, c *storeConfig) (*store.DB, error) {
	db, err := store.Open(ctx, store.Config{DataDir: c.data, DatabaseURL: c.databaseURL})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openForCommand parses a command that takes only the store's flags and opens the store.
func openForCommand(ctx context.Context, name string, args []string, stdout io.Writer) (*store.DB, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	sf := storeFlags(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return nil, err
	}
	if err := noArgs(fs); err != nil {
		return nil, err
	}
	return openStore(ctx, sf)
}

func runMigrate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	db, err := openForCommand(ctx, "migrate", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Database is at schema version %d.\n", v)
	return nil
}

func runVocabulary(args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] != "show" {
		return usageError{"vocabulary: expected show"}
	}
	fs := flag.NewFlagSet("vocabulary show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the lists as the API serves them")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	v, err := opendata.LoadVocabulary()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeIndentedJSON(stdout, v.Lists())
	}
	for _, l := range v.Lists() {
		fmt.Fprintf(stdout, "%s (%d)\n", l.Field, len(l.Choices))
		for _, c := range l.Choices {
			fmt.Fprintf(stdout, "  %-32s %s / %s\n", c.Value, c.EN, c.FR)
		}
	}
	return nil
}
