# frozen_string_literal: true

require "bigdecimal"

# Billing: invoices, line items and a small tax calculator.
module Billing
  VERSION = "2.1.0"
  DEFAULT_CURRENCY = :usd

  class Error < StandardError; end

  module Taxable
    RATE = BigDecimal("0.2")

    def tax
      subtotal * RATE
    end
  end

  class LineItem
    attr_reader :description, :amount

    def initialize(description, amount)
      @description = description
      @amount = BigDecimal(amount.to_s)
    end

    def to_s
      format("%-20s %10.2f", description, amount)
    end
  end

  class Invoice
    include Taxable

    STATUSES = %i[draft sent paid].freeze

    attr_accessor :status

    def self.draft(customer)
      new(customer, status: :draft)
    end

    class << self
      def from_hash(hash)
        new(hash.fetch(:customer), status: hash.fetch(:status, :draft))
      end
    end

    def initialize(customer, status: :draft)
      raise Error, "bad status" unless STATUSES.include?(status)

      @customer = customer
      @status = status
      @items = []
    end

    def add(description, amount)
      @items << LineItem.new(description, amount)
      self
    end

    def subtotal
      @items.sum(&:amount)
    end

    def total
      subtotal + tax
    end

    private

    def render_lines
      @items.map(&:to_s).join("\n")
    end
  end
end

class Billing::Reminder
  DELAY_DAYS = 7

  def schedule(invoice)
    puts "remind #{invoice.status} in #{DELAY_DAYS} days"
  end
end

def main
  invoice = Billing::Invoice.draft("acme").add("widgets", 12.5)
  puts invoice.total
end

Billing::MAX_LINES = 200

main if $PROGRAM_NAME == __FILE__
