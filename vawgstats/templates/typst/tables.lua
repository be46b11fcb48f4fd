-- vawgstats' tables in print (pandoc Lua filter, used by the pandoc + Typst path and by Quarto).
--
-- Markdown pipe tables carry column widths from their dash counts, which squeeze short-valued
-- columns ("Value") until numbers overflow into their neighbours, and no alignment. Here each
-- column gets an explicit width from its content: at least its longest word (so no word is
-- hyphenated letter by letter and no number overflows), and more for long text as room allows;
-- a column whose body cells are all numbers (counts, rates, percentages, intervals) is aligned
-- right, text left. A table that cannot fit the portrait text width goes on a landscape page.

-- characters of table text (8 pt) across the text width of an A4 page, less cell padding
local PORTRAIT, LANDSCAPE = 100, 150
local NUMBER_WORDS = { ["to"] = true, ["of"] = true, ["days"] = true, ["IQR"] = true, ["--"] = true,
                       ["n/a"] = true, ["—"] = true, ["–"] = true, ["x"] = true }

local function is_number_word(word)
  if NUMBER_WORDS[word] then return true end
  return word:match("^[<>≈~%(]?[-+−]?[£]?[%d][%d,%.]*%%?%)?[,;]?$") ~= nil
end

local function is_number(text)
  local any = false
  for word in text:gmatch("%S+") do
    if not is_number_word(word) then return false end
    if word:match("%d") then any = true end
  end
  return any
end

local function words(text)
  local longest = 0
  for word in text:gmatch("%S+") do longest = math.max(longest, utf8.len(word) or #word) end
  return longest
end

local function cell_texts(rows, column)
  local texts = {}
  for _, row in ipairs(rows) do
    local cell = row.cells[column]
    if cell then texts[#texts + 1] = pandoc.utils.stringify(cell.contents) end
  end
  return texts
end

local function fit(minimum, wanted, capacity)
  local sum_min, sum_want = 0, 0
  for i = 1, #minimum do sum_min = sum_min + minimum[i]; sum_want = sum_want + wanted[i] end
  if sum_min > capacity then return nil end
  local widths = {}
  if sum_want <= capacity then
    for i = 1, #wanted do widths[i] = wanted[i] / math.max(sum_want, capacity * 0.6) end
  else
    local spare = capacity - sum_min
    for i = 1, #minimum do
      local extra = (sum_want > sum_min) and spare * (wanted[i] - minimum[i]) / (sum_want - sum_min) or 0
      widths[i] = (minimum[i] + extra) / capacity
    end
  end
  return widths
end

function Table(tbl)
  local head_rows = tbl.head.rows
  local body_rows = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do body_rows[#body_rows + 1] = row end
  end
  local columns = #tbl.colspecs
  if columns == 0 then return nil end
  local minimum, wanted = {}, {}
  for c = 1, columns do
    local longest_word, longest_cell, numbers, filled = 3, 3, 0, 0
    for _, text in ipairs(cell_texts(head_rows, c)) do
      longest_word = math.max(longest_word, words(text))
      longest_cell = math.max(longest_cell, math.min(utf8.len(text) or #text, 18))
    end
    for _, text in ipairs(cell_texts(body_rows, c)) do
      longest_word = math.max(longest_word, words(text))
      longest_cell = math.max(longest_cell, utf8.len(text) or #text)
      if text:match("%S") then
        filled = filled + 1
        if is_number(text) then numbers = numbers + 1 end
      end
    end
    minimum[c] = longest_word + 2
    wanted[c] = math.max(minimum[c], math.min(longest_cell, 48) + 2)
    local align = (filled > 0 and numbers == filled) and pandoc.AlignRight or pandoc.AlignLeft
    tbl.colspecs[c] = { align, 0 }
  end
  local widths = fit(minimum, wanted, PORTRAIT)
  local landscape = false
  if not widths then
    landscape = true
    widths = fit(minimum, wanted, LANDSCAPE)
    if not widths then  -- wider still: shares of the minimum widths
      local total = 0
      for i = 1, columns do total = total + minimum[i] end
      widths = {}
      for i = 1, columns do widths[i] = minimum[i] / total end
    end
  end
  for c = 1, columns do tbl.colspecs[c][2] = widths[c] end
  if landscape and FORMAT:match("typst") then
    return { pandoc.RawBlock("typst", "#page(flipped: true)["), tbl, pandoc.RawBlock("typst", "]") }
  end
  return tbl
end
