package com.example.library;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Lends books to members and tracks due dates. */
public class LibraryService implements AutoCloseable {
    public static final int MAX_LOANS = 5;
    static final String DEFAULT_BRANCH = "main", ARCHIVE_BRANCH = "archive";
    private static int instances = 0;
    private final Map<String, Book> catalog = new HashMap<>();
    private final List<Loan> loans;

    public enum Genre {
        FICTION,
        SCIENCE,
        HISTORY;

        public String label() {
            return name().toLowerCase();
        }
    }

    public interface Notifier {
        int RETRY_LIMIT = 3;

        void notify(String memberId, String message);
    }

    public record Book(String isbn, String title, Genre genre) {
        public Book {
            if (isbn == null) {
                throw new IllegalArgumentException("isbn");
            }
        }
    }

    public static class Loan {
        final Book book;
        final LocalDate due;

        Loan(Book book, LocalDate due) {
            this.book = book;
            this.due = due;
        }

        boolean overdue(LocalDate today) {
            return today.isAfter(due);
        }
    }

    public @interface Audited {
        String reason() default "";
    }

    public LibraryService() {
        this.loans = new ArrayList<>();
        instances++;
    }

    public void addBook(Book book) {
        catalog.put(book.isbn(), book);
    }

    @Audited(reason = "lending")
    public Optional<Loan> lend(String isbn, Notifier notifier) {
        Book book = catalog.get(isbn);
        if (book == null || loans.size() >= MAX_LOANS) {
            return Optional.empty();
        }
        int days = 14;
        Loan loan = new Loan(book, LocalDate.now().plusDays(days));
        loans.add(loan);
        Runnable reminder = new Runnable() {
            @Override
            public void run() {
                notifier.notify("member", "due " + loan.due);
            }
        };
        reminder.run();
        return Optional.of(loan);
    }

    <T extends Comparable<T>> T max(List<T> items) {
        return items.stream().max(Comparable::compareTo).orElseThrow();
    }

    @Override
    public void close() {
        loans.clear();
    }
}
